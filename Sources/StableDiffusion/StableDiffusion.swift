// Checkpoint formats (diffusers folders, single-file SD) and the text-to-image pipeline (issue 3).
import CLIP
import Diffusion
