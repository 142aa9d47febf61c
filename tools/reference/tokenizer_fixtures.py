"""Reference ids for the Swift CLIP tokenizer (Sources/Tokenizers), from transformers' CLIPTokenizer.

Run from the repository root: .venv-reference/bin/python tools/reference/tokenizer_fixtures.py
Needs .cache/clip/bpe_simple_vocab_16e6.txt.gz (scripts/setup.sh fetches it; it is never committed).

Writes into Tests/TokenizersTests/Fixtures:
- clip_prompts.json: prompts with transformers' ids (unpadded encode, and truncated + padded to 77) for the
  full CLIP vocabulary, rebuilt from the open_clip file the way open_clip's SimpleTokenizer builds it.
- tiny_*/: small synthetic byte-level BPE vocabularies (vocab.json + merges.txt, tokenizer.json with pair or
  string merges, SD 1.5 / SD 2 style special-token configs), and tiny_tokenizers.json with their ids, so the
  JSON readers and the special-token rules are tested independently of the big vocabulary.
"""
import gzip
import json
import os
import shutil
import sys
import tempfile

import tokenizers
import transformers
from transformers import CLIPTokenizer

GZ = ".cache/clip/bpe_simple_vocab_16e6.txt.gz"
OUT = "Tests/TokenizersTests/Fixtures"


def bytes_to_unicode():
    # open_clip/tokenizer.py (and GPT-2): printable bytes map to themselves, the rest to U+0100 onwards.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_folder(folder, vocab, merges, extra=None):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    for name, content in (extra or {}).items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2, ensure_ascii=False)


def open_clip_vocabulary():
    # Exactly SimpleTokenizer.__init__, with transformers' names for the two special tokens.
    merges = gzip.open(GZ).read().decode("utf-8").split("\n")
    merges = merges[1 : 49152 - 256 - 2 + 1]
    merges = [tuple(m.split()) for m in merges]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(vocab)}, merges


def prompts():
    p = [
        "", " ", "   ", "\t", "\n", " \t\n \r\n ", "\u00a0", "\u3000", "a", "A", "a photo of a cat",
        "A woman, in a brown jacket, with a curtain background",
        "a portrait of a man, wearing glasses, smiling, studio lighting",
        "photo of a sks person, close-up, 85mm, bokeh",
        "A man with a beard,  in a red  hoodie ,standing in front of a brick wall",
        "a woman,, with red hair,,,",
        ",leading comma, and trailing comma,",
        "a girl (smiling, happy), in a park",
        "hello!, world", "wait..., what", "ok ,. fine", "one,two,three", "a , b , c",
        "it's a dog's life", "don't", "we'll see", "I'd say", "they're here", "you've got", "I'm fine",
        "IT'S LOUD", "rock 'n' roll", "'s", "'", "''", "'''s", "o'clock", "the '90s", "Jane's 'quoted' words",
        "12345", "3.14159", "1,000,000 dollars", "2024-01-31", "12:30pm", "#1 fan", "100%", "$5.99", "½ cup",
        "Ⅻ roman twelve", "٣ arabic three", "², ³ superscripts", "①②③",
        "café", "naïve résumé", "über straße", "niño jalapeño", "crème brûlée", "Ångström", "smørrebrød",
        "cafe\u0301 decomposed", "e\u0301\u0301 double accent", "İstanbul", "ΟΔΟΣ Ελληνικά", "Straße STRASSE",
        "Привет мир", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดีชาวโลก", "ǅemal titlecase",
        "日本語のテキスト", "中文文本，带逗号。", "한국어 텍스트", "東京タワー, 夜景", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
        "😀", "a cat 🐱 and a dog 🐶", "👩‍👩‍👧‍👦 family", "🇫🇷 flag", "❤️ love", "👍🏽 thumbs", "☃ snowman",
        "multiple   spaces", "tabs\tand\ttabs", "new\nlines\n\nhere", "mixed \t \n whitespace",
        "  leading and trailing  ", "zero\u200bwidth", "non\u00a0breaking", "ideographic\u3000space",
        "next\u0085line", "file\x1cseparator", "line\u2028separator", "em\u2003space", "mongolian\u180evowel",
        "<|startoftext|>", "<|endoftext|>", "a<|endoftext|>b", "<|endoftext|>!!", "x <|startoftext|> y",
        "<|ENDOFTEXT|>", "<|endoftext|", "<|startoftext|><|endoftext|>", "text <|endoftext|> more, text",
        "<|endoftext|><|endoftext|><|endoftext|>", "!!<|startoftext|>??", "<startoftext>", "<|endoftext|>,",
        "hello world!", "what?!", "wow!!!", "(parentheses)", "[brackets]", "{braces}", "a/b\\c", "a_b-c",
        "email@example.com", "https://example.com/path?q=1&r=2", "C++ and C#", "snake_case_name",
        "quote \"double\" marks", "“curly” ‘quotes’", "em—dash – en", "ellipsis…", "tilde~caret^",
        "<html>", "a + b = c", "x*y", "50/50", "~!@#$%^&*()_+", "...", ",", ",,,", " , ", "a,", ",a",
        "masterpiece, best quality, ultra-detailed, 8k", "(masterpiece:1.2), (best quality), detailed face",
        "a photo of sks woman, highly detailed, sharp focus, trending on artstation",
        "portrait of an old man, wrinkles, black and white photography, high contrast",
        "a young woman with curly hair, freckles, green eyes, soft natural light",
        "a child, in a yellow raincoat, holding an umbrella, rainy street",
        "headshot of a businessman, navy suit, neutral grey background, professional",
        "a woman in a brown jacket",
        "anime style girl, blue hair, school uniform, cherry blossoms",
        "oil painting of a knight, ornate armor, dramatic lighting, by rembrandt",
    ]
    subjects = ["a woman", "a man", "an old lady", "a young boy", "a teenage girl", "a bearded man",
                "a sks person", "an elderly gentleman", "a smiling woman", "a tired firefighter"]
    clothes = ["in a brown jacket", "wearing a red dress", "in a leather coat", "with a straw hat",
               "in a denim shirt", "wearing round glasses", "in a wool sweater", "with a silver necklace"]
    scenes = ["with a curtain background", "in a busy street", "on a beach at sunset", "in a forest",
              "in front of a brick wall", "at a cafe", "in a snowy mountain village", "studio lighting"]
    styles = ["photorealistic", "oil painting", "watercolor", "35mm film", "cinematic", "8k uhd", "sharp focus"]
    i = 0
    for s in subjects:
        for c in clothes:
            sc = scenes[i % len(scenes)]
            st = styles[i % len(styles)]
            sep = [", ", ",", " , ", ",  "][i % 4]
            p.append(sep.join([s, c, sc, st]))
            i += 1
    # Prompts past 77 tokens (truncation keeps EOS last).
    p.append("a " * 100)
    p.append(", ".join(f"{c} {s}" for c in ["red", "green", "blue"] for s in subjects))
    p.append("a very long portrait prompt, " + ", ".join(clothes + scenes + styles) + ", the end")
    p.append("word " * 75 + "tail")
    p.append("word " * 74 + "tail")
    p.append("word " * 76)
    p.append("🙂" * 40)
    p.append("supercalifragilisticexpialidocious " * 20)
    p.append("<|endoftext|> " * 80)
    # Single characters over several scripts and categories.
    for ch in "aZ9éß!?.,;:'\"`~@#$%^&*()[]{}<>|/\\_-+=ÆØÅæøåÇçÑñ¿¡«»€£¥©®™°±×÷µ¶§αβγΩЖжЯ한字あア":
        p.append(ch)
    for ch in ["\u0300", "\u0301x", "x\u0308", "\ufb01 ligature", "\u2126 ohm", "\u212b angstrom", "\u1e9e capital sharp s",
               "\u00df\u0130\u0131", "\u03a3\u03c3\u03c2", "\U0001d400 math bold", "\u00bd\u2153", "\u2460", "\u0f20 tibetan digit"]:
        p.append(ch)
    seen = set()
    out = []
    for x in p:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def tiny_vocabulary():
    # A byte-level vocabulary that knows only a few characters (others become the unknown token).
    b2u = bytes_to_unicode()
    chars = [b2u[ord(c)] for c in "!,.'abcdehilnorstw"]
    tokens = ["<|startoftext|>", "<|endoftext|>"] + chars + [c + "</w>" for c in chars]
    merges = [("t", "h"), ("th", "e</w>"), ("c", "a"), ("ca", "t</w>"), ("a", "t</w>"), ("d", "o"),
              ("w", "o"), ("wo", "r"), ("wor", "l"), ("worl", "d</w>"), ("h", "e"), ("l", "l"), ("he", "ll"),
              ("hell", "o</w>"), ("'", "s</w>"), ("!", "!</w>")]
    for a, b in merges:
        if a + b not in tokens:
            tokens.append(a + b)
    # Ids deliberately not in insertion order of characters: specials first, then the rest.
    return {t: i for i, t in enumerate(tokens)}, merges


def main():
    if not os.path.isfile(GZ):
        sys.exit(f"error: {GZ} is missing: run scripts/setup.sh")
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    try:
        vocab, merges = open_clip_vocabulary()
        write_folder(os.path.join(tmp, "clip"), vocab, merges)
        tok = CLIPTokenizer.from_pretrained(os.path.join(tmp, "clip"))
        entries = []
        for text in prompts():
            ids = tok(text)["input_ids"]
            padded = tok(text, max_length=77, truncation=True, padding="max_length")["input_ids"]
            entries.append({"text": text, "ids": ids, "padded": padded})
        n_long = sum(len(e["ids"]) > 77 for e in entries)
        with open(os.path.join(OUT, "clip_prompts.json"), "w", encoding="utf-8") as f:
            json.dump({"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                       "vocab_size": len(vocab), "prompts": entries}, f, ensure_ascii=False, indent=0)
        print(f"clip_prompts.json: {len(entries)} prompts ({n_long} longer than 77 tokens)")

        # Tiny vocabularies: the same pipeline, read through each file format and special-token config.
        tvocab, tmerges = tiny_vocabulary()

        def added(content, normalized):
            return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": normalized,
                    "rstrip": False, "single_word": False}

        def stm(pad):
            plain = lambda c: {k: v for k, v in added(c, True).items() if k != "__type"}
            return {"bos_token": plain("<|startoftext|>"), "eos_token": plain("<|endoftext|>"), "pad_token": pad,
                    "unk_token": plain("<|endoftext|>")}

        def config(pad):
            return {"add_prefix_space": False, "bos_token": added("<|startoftext|>", True), "do_lower_case": True,
                    "eos_token": added("<|endoftext|>", True), "errors": "replace", "model_max_length": 77,
                    "pad_token": pad, "tokenizer_class": "CLIPTokenizer", "unk_token": added("<|endoftext|>", True)}

        folders = {
            "tiny_tokenizer": {},
            # Shaped like SD 1.5's tokenizer/ (pad <|endoftext|>) and SD 2's (pad "!").
            "tiny_sd15": {"special_tokens_map.json": stm("<|endoftext|>"), "tokenizer_config.json": config("<|endoftext|>")},
            "tiny_sd2": {"special_tokens_map.json": stm("!"), "tokenizer_config.json": config("!")},
        }
        for name, extra in folders.items():
            shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
            write_folder(os.path.join(OUT, name), tvocab, tmerges, extra)
        # tokenizer.json with merges as pairs (tokenizers >= 0.20) and as "a b" strings (older files).
        base = CLIPTokenizer.from_pretrained(os.path.join(OUT, "tiny_tokenizer"))
        saved = json.loads(base.backend_tokenizer.to_str())
        for name, as_strings in [("tiny_json", False), ("tiny_json_strings", True)]:
            folder = os.path.join(OUT, name)
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            doc = json.loads(json.dumps(saved))
            doc["model"]["merges"] = [f"{a} {b}" if as_strings else [a, b] for a, b in tmerges]
            with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
                json.dump(doc, f, ensure_ascii=False, indent=1)
        tiny_prompts = ["the cat", "The Cat, the dog", "hello world!!", "it's the world", "hello, world.",
                        "unknown xyz", "café", "", "  ", "<|endoftext|>", "<|ENDOFTEXT|> <|STARTOFTEXT|>",
                        "wow!! hello!", "the the the the the the the the the the the"]
        tiny = {}
        for name in list(folders) + ["tiny_json", "tiny_json_strings"]:
            t = CLIPTokenizer.from_pretrained(os.path.join(OUT, name))
            tiny[name] = {"pad_token_id": t.pad_token_id, "model_max_length": t.model_max_length if t.model_max_length < 10**6 else None,
                          "prompts": [{"text": s, "ids": t(s)["input_ids"],
                                       "padded": t(s, max_length=8, truncation=True, padding="max_length")["input_ids"]}
                                      for s in tiny_prompts]}
        with open(os.path.join(OUT, "tiny_tokenizers.json"), "w", encoding="utf-8") as f:
            json.dump({"transformers": transformers.__version__, "max_length": 8, "tokenizers": tiny}, f,
                      ensure_ascii=False, indent=1)
        print("tiny_tokenizers.json:", {k: v["pad_token_id"] for k, v in tiny.items()})
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
