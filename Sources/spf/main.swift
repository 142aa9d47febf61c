import Torch
print(LibTorch.version, LibTorch.libraryPath)
