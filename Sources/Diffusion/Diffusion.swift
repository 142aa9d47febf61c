// UNet2DConditionModel, AutoencoderKL and their blocks (to be written: see issue 3).
import NN
