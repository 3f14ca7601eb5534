package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idxFile returns an IDX file with the given magic, dimensions and payload.
func idxFile(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

// gzipped returns b gzip-compressed.
func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	_, err := z.Write(b)
	require.NoError(tb, err)
	require.NoError(tb, z.Close())
	return buf.Bytes()
}

// pattern returns n bytes that differ from their neighbours.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	return b
}

// imagesFile returns a valid image file of n images of rows x cols.
func imagesFile(n, rows, cols int) []byte {
	return idxFile(0x803, []uint32{uint32(n), uint32(rows), uint32(cols)}, pattern(n*rows*cols))
}

// labelsFile returns a valid label file holding labels.
func labelsFile(labels ...uint8) []byte {
	return idxFile(0x801, []uint32{uint32(len(labels))}, labels)
}

// encodings returns b raw and gzip-compressed.
func encodings(tb testing.TB, b []byte) map[string][]byte {
	return map[string][]byte{"raw": b, "gzip": gzipped(tb, b)}
}

// requireFormatError checks that err is a one-line *Error wrapping
// ErrFormat whose message contains want.
func requireFormatError(t *testing.T, err error, want string) {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, ErrFormat)
	assert.NotContains(t, err.Error(), "\n")
	assert.True(t, strings.HasPrefix(err.Error(), "mnist: "), err.Error())
	assert.Contains(t, err.Error(), want)
}

func TestReadImagesValid(t *testing.T) {
	for _, size := range [][3]int{{1, 1, 1}, {2, 3, 4}, {3, 28, 28}, {100, 30, 30}} {
		for enc, data := range encodings(t, imagesFile(size[0], size[1], size[2])) {
			t.Run(enc, func(t *testing.T) {
				m, err := ReadImages(bytes.NewReader(data))
				require.NoError(t, err)
				assert.Equal(t, size, [3]int{m.N, m.Rows, m.Cols})
				assert.Equal(t, pattern(size[0]*size[1]*size[2]), m.Pix)
				assert.Equal(t, len(m.Pix), cap(m.Pix), "no spare capacity")
			})
		}
	}
}

func TestReadLabelsValid(t *testing.T) {
	want := []uint8{5, 0, 4, 1, 9, 2}
	for enc, data := range encodings(t, labelsFile(want...)) {
		t.Run(enc, func(t *testing.T) {
			got, err := ReadLabels(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestReadImagesErrors(t *testing.T) {
	valid := imagesFile(2, 3, 4)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "short header: 0 of 16 bytes"},
		{"short magic", []byte{0, 0, 8}, "short header: 3 of 16 bytes"},
		{"short dims", valid[:10], "short header: 10 of 16 bytes"},
		{"label magic", labelsFile(1, 2), "bad magic 0x00000801, want 0x00000803 (an IDX image file)"},
		{"two dims", idxFile(0x802, []uint32{2, 12}, pattern(24)), "bad magic 0x00000802, want 0x00000803"},
		{"four dims", idxFile(0x804, []uint32{2, 3, 4, 1}, pattern(24)), "bad magic 0x00000804, want 0x00000803"},
		{"int type", idxFile(0xc03, []uint32{2, 3, 4}, pattern(96)), "bad magic 0x00000c03"},
		{"not idx", []byte("hello, world, this is text"), "bad magic 0x68656c6c"},
		{"zero count", idxFile(0x803, []uint32{0, 3, 4}, nil), "bad header: image count is 0"},
		{"zero rows", idxFile(0x803, []uint32{2, 0, 4}, nil), "bad header: rows is 0"},
		{"zero cols", idxFile(0x803, []uint32{2, 3, 0}, nil), "bad header: cols is 0"},
		{"huge", idxFile(0x803, []uint32{60000, 60000, 60000}, nil), "dimensions 60000x60000x60000 make more than 2147483647 bytes"},
		{"max dims", idxFile(0x803, []uint32{1<<32 - 1, 1<<32 - 1, 1<<32 - 1}, nil), "make more than"},
		{"just over", idxFile(0x803, []uint32{1 << 11, 1 << 10, 1 << 10}, nil), "make more than"},
		{"no payload", valid[:16], "short payload: 0 of 24 bytes"},
		{"short payload", valid[:len(valid)-1], "short payload: 23 of 24 bytes"},
		{"trailing byte", append(bytes.Clone(valid), 0), "trailing data after the 24-byte payload"},
		{"trailing file", append(bytes.Clone(valid), valid...), "trailing data"},
	}
	for _, tt := range tests {
		for enc, data := range encodings(t, tt.data) {
			t.Run(tt.name+"/"+enc, func(t *testing.T) {
				m, err := ReadImages(bytes.NewReader(data))
				assert.Nil(t, m)
				requireFormatError(t, err, tt.want)
			})
		}
	}
}

func TestReadImagesBadMagicMessage(t *testing.T) {
	_, err := ReadImages(bytes.NewReader(labelsFile(3)))
	require.EqualError(t, err, "mnist: bad magic 0x00000801, want 0x00000803 (an IDX image file)")
}

func TestReadLabelsErrors(t *testing.T) {
	valid := labelsFile(1, 2, 3)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "short header: 0 of 8 bytes"},
		{"short dims", valid[:6], "short header: 6 of 8 bytes"},
		{"image magic", imagesFile(1, 1, 1), "bad magic 0x00000803, want 0x00000801 (an IDX label file)"},
		{"two dims", idxFile(0x802, []uint32{1, 3}, pattern(3)), "bad magic 0x00000802"},
		{"zero count", idxFile(0x801, []uint32{0}, nil), "bad header: label count is 0"},
		{"huge", idxFile(0x801, []uint32{1 << 31}, nil), "dimensions 2147483648 make more than"},
		{"short payload", valid[:len(valid)-1], "short payload: 2 of 3 bytes"},
		{"trailing", append(bytes.Clone(valid), 7, 7), "trailing data after the 3-byte payload"},
	}
	for _, tt := range tests {
		for enc, data := range encodings(t, tt.data) {
			t.Run(tt.name+"/"+enc, func(t *testing.T) {
				labels, err := ReadLabels(bytes.NewReader(data))
				assert.Nil(t, labels)
				requireFormatError(t, err, tt.want)
			})
		}
	}
}

// TestTruncatedGzip cuts a gzip file at every length: each must be an error.
func TestTruncatedGzip(t *testing.T) {
	data := gzipped(t, imagesFile(3, 5, 7))
	for n := 2; n < len(data); n++ {
		_, err := ReadImages(bytes.NewReader(data[:n]))
		requireFormatError(t, err, "gzip stream")
	}
	labels := gzipped(t, labelsFile(1, 2, 3, 4))
	for n := 2; n < len(labels); n++ {
		_, err := ReadLabels(bytes.NewReader(labels[:n]))
		requireFormatError(t, err, "gzip stream")
	}
	_, err := ReadLabels(bytes.NewReader(labels[:len(labels)-1]))
	requireFormatError(t, err, "truncated gzip stream")
}

func TestCorruptGzip(t *testing.T) {
	data := gzipped(t, labelsFile(1, 2, 3, 4))
	tests := []struct {
		name string
		at   int
		want string
	}{
		{"method", 2, "corrupt gzip stream: gzip: invalid header"},
		{"crc", len(data) - 8, "corrupt gzip stream: gzip: invalid checksum"},
		{"size", len(data) - 1, "corrupt gzip stream: gzip: invalid checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			bad[tt.at] ^= 0x40
			_, err := ReadLabels(bytes.NewReader(bad))
			requireFormatError(t, err, tt.want)
		})
	}
	t.Run("garbage after stream", func(t *testing.T) {
		_, err := ReadLabels(bytes.NewReader(append(bytes.Clone(data), "this is no gzip member"...)))
		requireFormatError(t, err, "corrupt gzip stream: gzip: invalid header")
		_, err = ReadLabels(bytes.NewReader(append(bytes.Clone(data), "junk"...)))
		requireFormatError(t, err, "gzip stream")
	})
}

// TestConcatenatedGzip checks that a multi-member gzip file, which is valid
// gzip, is read as the concatenation of its members.
func TestConcatenatedGzip(t *testing.T) {
	file := labelsFile(1, 2, 3, 4, 5)
	data := append(gzipped(t, file[:6]), gzipped(t, file[6:])...)
	got, err := ReadLabels(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, []uint8{1, 2, 3, 4, 5}, got)
}

func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	valid := imagesFile(2, 3, 4)
	for enc, data := range encodings(t, valid) {
		for _, n := range []int{0, 1, 10, len(data) - 1, len(data)} {
			r := io.MultiReader(bytes.NewReader(data[:n]), iotest.ErrReader(boom))
			_, err := ReadImages(r)
			require.ErrorIs(t, err, boom, "%s cut at %d", enc, n)
			assert.NotErrorIs(t, err, ErrFormat)
			assert.Equal(t, "mnist: read error: disk on fire", err.Error())
		}
	}
}

// TestOneByteReads checks reading through a reader that returns one byte
// at a time.
func TestOneByteReads(t *testing.T) {
	for enc, data := range encodings(t, imagesFile(4, 6, 5)) {
		m, err := ReadImages(iotest.OneByteReader(bytes.NewReader(data)))
		require.NoError(t, err, enc)
		assert.Equal(t, pattern(120), m.Pix)
	}
}

// TestLargePayload reads a payload larger than the first buffer, which must
// grow to exactly its size.
func TestLargePayload(t *testing.T) {
	n := 3*firstChunk + 123
	for enc, data := range encodings(t, idxFile(0x803, []uint32{uint32(n), 1, 1}, pattern(n))) {
		m, err := ReadImages(bytes.NewReader(data))
		require.NoError(t, err, enc)
		assert.Equal(t, pattern(n), m.Pix)
		assert.Equal(t, n, cap(m.Pix))
	}
}

// TestHeaderDoesNotAllocate checks that a header claiming almost 2 GiB over
// a short stream costs little memory.
func TestHeaderDoesNotAllocate(t *testing.T) {
	data := idxFile(0x803, []uint32{1, 46341, 46340}, pattern(1000))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadImages(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	requireFormatError(t, err, "short payload: 1000 of 2147441940 bytes")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))
}
