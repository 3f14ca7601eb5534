package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// maxPayload bounds the payload size, in bytes, that a header may claim.
	maxPayload = 1<<31 - 1
	// firstChunk is the size of the read buffer.
	firstChunk = 64 << 10
	// trustedPayload is the largest payload allocated at its full size once
	// its first chunk has arrived (see readPayload): MNIST's and
	// Fashion-MNIST's training images (47 MB) fit.
	trustedPayload = 64 << 20
)

// Images holds a set of grey-scale images as the bytes of an IDX file.
type Images struct {
	N, Rows, Cols int // number of images, and the size of each

	// Pix holds N*Rows*Cols pixels, image after image, each row-major,
	// 0 (background) to 255 (ink).
	Pix []uint8
}

// idxKind describes one kind of IDX file.
type idxKind struct {
	magic uint32   // 0, 0, element type, number of dims
	what  string   // for messages, e.g. "an IDX image file"
	dims  []string // for messages: the name of each dimension
}

var (
	imageKind = idxKind{0x00000803, "an IDX image file", []string{"image count", "rows", "cols"}}
	labelKind = idxKind{0x00000801, "an IDX label file", []string{"label count"}}
)

// ReadImages reads an IDX image file (magic 0x00000803: unsigned bytes,
// 3 dimensions), raw or gzip-compressed, from r. It reads r to its end: the
// input must hold exactly the header and the payload it announces.
func ReadImages(r io.Reader) (*Images, error) {
	dims, pix, err := readIDX(r, imageKind)
	if err != nil {
		return nil, err
	}
	return &Images{N: dims[0], Rows: dims[1], Cols: dims[2], Pix: pix}, nil
}

// ReadLabels reads an IDX label file (magic 0x00000801: unsigned bytes,
// 1 dimension), raw or gzip-compressed, from r. It reads r to its end: the
// input must hold exactly the header and the payload it announces.
func ReadLabels(r io.Reader) ([]uint8, error) {
	_, labels, err := readIDX(r, labelKind)
	if err != nil {
		return nil, err
	}
	return labels, nil
}

// readIDX reads a whole IDX file of the given kind and returns its
// dimensions and payload.
func readIDX(r io.Reader, kind idxKind) ([]int, []byte, error) {
	src, err := decompress(r)
	if err != nil {
		return nil, nil, err
	}
	dims, size, err := readHeader(src, kind)
	if err != nil {
		return nil, nil, err
	}
	data, err := readPayload(src, size)
	if err != nil {
		return nil, nil, err
	}
	if err := expectEOF(src, size); err != nil {
		return nil, nil, err
	}
	return dims, data, nil
}

// decompress returns a reader of r's content, decompressed if r starts with
// the gzip magic.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(sourceReader{r}, firstChunk)
	head, err := br.Peek(2)
	if err != nil {
		if e := streamError(err); e != nil {
			return nil, e
		}
	}
	if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		return br, nil
	}
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, streamError(&gzipError{err})
	}
	return gzipReader{z}, nil
}

// readHeader reads and checks the magic and the dimensions, and returns the
// dimensions and the payload size they announce.
func readHeader(r io.Reader, kind idxKind) ([]int, int, error) {
	var buf [4 + 4*3]byte
	head := buf[:4+4*len(kind.dims)]
	if n, err := io.ReadFull(r, head[:4]); err != nil {
		return nil, 0, shortOr(err, "short header: %d of %d bytes", n, len(head))
	}
	if got := binary.BigEndian.Uint32(head); got != kind.magic {
		return nil, 0, formatError(fmt.Sprintf("bad magic 0x%08x, want 0x%08x (%s)", got, kind.magic, kind.what))
	}
	if n, err := io.ReadFull(r, head[4:]); err != nil {
		return nil, 0, shortOr(err, "short header: %d of %d bytes", 4+n, len(head))
	}
	return checkDims(head[4:], kind)
}

// checkDims decodes the big-endian dimensions in b and checks that each is
// positive and that their product is at most maxPayload.
func checkDims(b []byte, kind idxKind) ([]int, int, error) {
	dims := make([]int, len(kind.dims))
	size := uint64(1)
	for i, name := range kind.dims {
		d := uint64(binary.BigEndian.Uint32(b[4*i:]))
		if d == 0 {
			return nil, 0, formatError(fmt.Sprintf("bad header: %s is 0", name))
		}
		if size*d > maxPayload { // no overflow: size <= maxPayload < 1<<31, d < 1<<32
			return nil, 0, formatError(fmt.Sprintf("bad header: dimensions %s make more than %d bytes", dimString(b), maxPayload))
		}
		size *= d
		dims[i] = int(d)
	}
	return dims, int(size), nil
}

// dimString formats the big-endian dimensions in b as "AxBxC".
func dimString(b []byte) string {
	parts := make([]string, len(b)/4)
	for i := range parts {
		parts[i] = fmt.Sprint(binary.BigEndian.Uint32(b[4*i:]))
	}
	return strings.Join(parts, "x")
}

// readPayload reads the size-byte payload. It does not trust size before
// data arrives: the first buffer is at most firstChunk bytes; once a full
// first chunk has arrived, the buffer grows to the header's size at once if
// that is at most trustedPayload (so the 47 MB of MNIST's training images
// cost one buffer of exactly that size), and otherwise doubles as data
// keeps arriving. A header claiming a huge payload over a short stream so
// costs little memory.
func readPayload(r io.Reader, size int) ([]byte, error) {
	buf := make([]byte, min(size, firstChunk))
	n := 0
	for {
		m, err := io.ReadFull(r, buf[n:])
		n += m
		if err != nil {
			return nil, shortOr(err, "short payload: %d of %d bytes", n, size)
		}
		if n == size {
			return buf, nil
		}
		next := 2 * len(buf)
		if size <= trustedPayload {
			next = size
		}
		bigger := make([]byte, min(size, next))
		copy(bigger, buf)
		buf = bigger
	}
}

// expectEOF checks that r has nothing left after the payload. For gzip input
// this also reads the stream's trailer and so checks its checksum.
func expectEOF(r io.Reader, size int) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	switch {
	case n > 0:
		return formatError(fmt.Sprintf("trailing data after the %d-byte payload", size))
	case errors.Is(err, io.EOF):
		return nil
	}
	return shortOr(err, "unexpected end of data after the %d-byte payload", size)
}

// shortOr returns the error for err, an error returned by io.ReadFull: the
// read or gzip error it carries, or else (the stream ended early) a format
// error with the given message.
func shortOr(err error, format string, args ...any) error {
	if e := streamError(err); e != nil {
		return e
	}
	return formatError(fmt.Sprintf(format, args...))
}

// streamError returns the *Error for a failure of the underlying reader or
// of gzip decompression found in err, or nil if err holds neither.
func streamError(err error) error {
	var se *sourceError
	if errors.As(err, &se) {
		return &Error{Msg: "read error: " + se.err.Error(), Err: se.err}
	}
	var ge *gzipError
	if errors.As(err, &ge) {
		if errors.Is(ge.err, io.ErrUnexpectedEOF) || errors.Is(ge.err, io.EOF) {
			return formatError("truncated gzip stream")
		}
		return formatError("corrupt gzip stream: " + ge.err.Error())
	}
	return nil
}

// sourceReader marks the errors of the reader it wraps as *sourceError, to
// tell them apart from decompression errors and from the end of the data.
type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = &sourceError{err}
	}
	return n, err
}

// sourceError is an error of the caller's reader.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// gzipReader marks the errors of the gzip reader it wraps as *gzipError.
type gzipReader struct{ z *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err != nil && err != io.EOF {
		err = &gzipError{err}
	}
	return n, err
}

// gzipError is an error found while decompressing.
type gzipError struct{ err error }

func (e *gzipError) Error() string { return e.err.Error() }
func (e *gzipError) Unwrap() error { return e.err }
