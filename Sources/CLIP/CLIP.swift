// CLIP text and vision transformers (to be written: see issue 3).
import NN
