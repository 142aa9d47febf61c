// CLIP's byte-level BPE tokenizer (to be written: see issue 3).
