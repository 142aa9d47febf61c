// Image files: PNG in and out (to be written: see issue 3).
import CLibPNG
