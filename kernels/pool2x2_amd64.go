package kernels

// maxPool2x2AVX512 is MaxPool2x2 in pool2x2_amd64.s, on checked arguments: planes, inH/2
// and inW/2 are > 0.
//
//go:noescape
func maxPool2x2AVX512(out *float32, argmax *int32, x *float32, planes, inH, inW int, base int32, relu bool)
