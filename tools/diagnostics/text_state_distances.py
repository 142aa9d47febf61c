"""How far apart a world text encoder puts captions that differ in one phrase (docs/portrait-world.md): for each
pair, the relative L2 distance of the last hidden state at the tokens that differ, and over the whole sequence.
Usage: .venv-reference/bin/python tools/diagnostics/text_state_distances.py models/world/pipeline
(reads PIPELINE/text_encoder and PIPELINE/tokenizer with transformers; diagnostics only, nothing depends on it).
"""
import sys

import torch
from transformers import CLIPTextModel, CLIPTokenizer

path = sys.argv[1]
tok = CLIPTokenizer.from_pretrained(path + "/tokenizer") if len(sys.argv) < 3 else CLIPTokenizer.from_pretrained(sys.argv[2])
enc = CLIPTextModel.from_pretrained(path + "/text_encoder", torch_dtype=torch.float32).eval()
base = "a woman, {hair}, wearing a red t-shirt, {skin}, {face}, against a plain blue background, a photo"
pairs = {
 "hair_style": [dict(hair="with long brown hair"), dict(hair="with curly brown hair")],
 "hair_color": [dict(hair="with long brown hair"), dict(hair="with long red hair")],
 "skin": [dict(skin="fair skin"), dict(skin="dark skin")],
 "face": [dict(face="round face"), dict(face="square face")],
}
default = dict(hair="with long brown hair", skin="fair skin", face="round face")
def states(text):
    ids = tok(text, padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad(): return enc(ids).last_hidden_state[0], ids[0]
for name, (a, b) in pairs.items():
    sa, ia = states(base.format(**{**default, **a})); sb, ib = states(base.format(**{**default, **b}))
    diff = (ia != ib).nonzero().flatten()
    rel = ((sa[diff] - sb[diff]).norm(dim=-1) / sa[diff].norm(dim=-1)).mean().item()
    n = (ia != 49407).sum().item() + 1
    whole = ((sa[:n] - sb[:n]).norm() / sa[:n].norm()).item()
    print(f"{name:11s} changed tokens rel diff {rel:.3f}  whole-seq rel diff {whole:.3f}")
