// Noise schedulers matching diffusers (to be written: see issue 3).
import Torch
