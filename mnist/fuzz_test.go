package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzSeeds adds valid files of both kinds, raw and gzip-compressed, and
// corruptions of them.
func fuzzSeeds(f *testing.F) {
	valid := [][]byte{
		imagesFile(1, 1, 1),
		imagesFile(2, 3, 4),
		imagesFile(3, 28, 28),
		labelsFile(5),
		labelsFile(5, 0, 4, 1, 9),
	}
	for _, v := range valid {
		z := gzipped(f, v)
		f.Add(v)
		f.Add(z)
		f.Add(v[:len(v)-1])                    // short payload
		f.Add(append(bytes.Clone(v), 0))       // trailing byte
		f.Add(z[:len(z)-4])                    // truncated gzip
		f.Add(append(bytes.Clone(z), 0x1f, 1)) // garbage after gzip
		bad := bytes.Clone(z)
		bad[len(bad)-6] ^= 1 // bad checksum
		f.Add(bad)
	}
	f.Add([]byte{})
	f.Add([]byte{0x1f})
	f.Add([]byte{0x1f, 0x8b})
	f.Add(idxFile(0x803, []uint32{0, 1, 1}, nil))
	f.Add(idxFile(0x803, []uint32{60000, 60000, 60000}, nil))
	f.Add(idxFile(0x803, []uint32{1, 46341, 46340}, pattern(8)))
	f.Add(idxFile(0x801, []uint32{1<<31 - 1}, pattern(8)))
	f.Add(idxFile(0x802, []uint32{2, 2}, pattern(4)))
}

// checkError checks that a rejection is a one-line *Error wrapping
// ErrFormat (the input is in memory, so no I/O error can happen).
func checkError(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrFormat) {
		t.Fatalf("error %v (%T) is not a format *Error", err, err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "mnist: ") {
		t.Fatalf("bad message %q", msg)
	}
}

// plain returns data, decompressed if it is gzip. It reports false if the
// standard gzip reader rejects it.
func plain(data []byte) ([]byte, bool) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, true
	}
	z, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(z)
	return out, err == nil
}

// checkEncoding checks that data (decompressed) is exactly the IDX file
// made of magic, dims and payload.
func checkEncoding(t *testing.T, data []byte, magic uint32, dims []int, payload []byte) {
	raw, ok := plain(data)
	if !ok {
		t.Fatalf("accepted data that gzip rejects")
	}
	want := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		want = binary.BigEndian.AppendUint32(want, uint32(d))
	}
	want = append(want, payload...)
	if !bytes.Equal(raw, want) {
		t.Fatalf("accepted %d bytes that differ from their re-encoding", len(raw))
	}
}

func FuzzReadImages(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadImages(bytes.NewReader(data))
		if err != nil {
			if m != nil {
				t.Fatal("images returned with an error")
			}
			checkError(t, err)
			return
		}
		if m.N <= 0 || m.Rows <= 0 || m.Cols <= 0 || len(m.Pix) != m.N*m.Rows*m.Cols {
			t.Fatalf("inconsistent images %dx%dx%d with %d pixels", m.N, m.Rows, m.Cols, len(m.Pix))
		}
		s, err := NewSet(m, make([]uint8, m.N))
		if err != nil {
			t.Fatalf("NewSet rejects accepted images: %v", err)
		}
		dst := make([]float32, s.Dim())
		s.Batch(dst, []int{m.N - 1})
		checkEncoding(t, data, 0x803, []int{m.N, m.Rows, m.Cols}, m.Pix)
	})
}

func FuzzReadLabels(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ReadLabels(bytes.NewReader(data))
		if err != nil {
			if labels != nil {
				t.Fatal("labels returned with an error")
			}
			checkError(t, err)
			return
		}
		if len(labels) == 0 {
			t.Fatal("accepted an empty label file")
		}
		checkEncoding(t, data, 0x801, []int{len(labels)}, labels)
	})
}
