package mnist

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallSet returns a set of 4 images of 2x3 pixels with the given labels;
// pixel j of image i is 10*i+j.
func smallSet(t *testing.T, labels ...uint8) *Set {
	t.Helper()
	m := &Images{N: len(labels), Rows: 2, Cols: 3, Pix: make([]uint8, 6*len(labels))}
	for i := range m.Pix {
		m.Pix[i] = uint8(10*(i/6) + i%6)
	}
	s, err := NewSet(m, labels)
	require.NoError(t, err)
	return s
}

func TestNewSet(t *testing.T) {
	tests := []struct {
		name   string
		images *Images
		labels int
		want   string
	}{
		{"nil", nil, 0, "no images"},
		{"count", &Images{N: 2, Rows: 1, Cols: 1, Pix: []uint8{1, 2}}, 3, "2 images but 3 labels"},
		{"pixels", &Images{N: 2, Rows: 2, Cols: 2, Pix: make([]uint8, 7)}, 2, "7 pixels for 2x2x2 images"},
		{"rows", &Images{N: 1, Rows: 0, Cols: 2}, 1, "bad image size 1x0x2"},
		{"overflow", &Images{N: 1 << 40, Rows: 1 << 40, Cols: 1 << 40}, 0, "bad image size"},
		{"big image", &Images{N: 0, Rows: 1 << 30, Cols: 1 << 30}, 0, "bad image size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSet(tt.images, make([]uint8, tt.labels))
			assert.Nil(t, s)
			requireFormatError(t, err, tt.want)
		})
	}
	s, err := NewSet(&Images{Rows: 28, Cols: 28}, nil)
	require.NoError(t, err, "an empty set is valid")
	assert.Equal(t, 0, s.Len())
}

func TestSetSizes(t *testing.T) {
	s := smallSet(t, 3, 1, 4, 1)
	assert.Equal(t, 4, s.Len())
	assert.Equal(t, 6, s.Dim())
}

func TestSlice(t *testing.T) {
	s := smallSet(t, 3, 1, 4, 1)
	for _, n := range []int{-1, 0, 4, 5} {
		assert.Same(t, s, s.Slice(n), "n=%d", n)
	}
	v := s.Slice(2)
	assert.Equal(t, 2, v.Len())
	assert.Equal(t, 2, v.Images.N)
	assert.Equal(t, []uint8{3, 1}, v.Labels)
	assert.Len(t, v.Images.Pix, 12)
	assert.Same(t, &s.Images.Pix[0], &v.Images.Pix[0], "a view, not a copy")
	assert.Equal(t, 4, s.Len(), "the original is unchanged")

	dst := make([]float32, 6)
	assert.Panics(t, func() { v.Batch(dst, []int{2}) }, "the view ends at n")
}

func TestBatch(t *testing.T) {
	s := smallSet(t, 3, 1, 4, 1)
	dst := make([]float32, 3*6+1)
	dst[18] = -1
	s.Batch(dst, []int{2, 0, 2})
	want := []float32{20, 21, 22, 23, 24, 25, 0, 1, 2, 3, 4, 5, 20, 21, 22, 23, 24, 25}
	for i, w := range want {
		assert.InDelta(t, w/255, dst[i], 1e-7, "value %d", i)
	}
	assert.Equal(t, float32(-1), dst[18], "values past the batch are kept")
}

func TestBatchPixelValues(t *testing.T) {
	m := &Images{N: 1, Rows: 16, Cols: 16, Pix: make([]uint8, 256)}
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	s, err := NewSet(m, []uint8{0})
	require.NoError(t, err)
	dst := make([]float32, 256)
	s.Batch(dst, []int{0})
	assert.Equal(t, float32(0), dst[0])
	assert.Equal(t, float32(1), dst[255])
	for i, v := range dst {
		assert.Equal(t, float32(i)/255, v)
	}
}

func TestBatchPanics(t *testing.T) {
	s := smallSet(t, 3, 1)
	assert.PanicsWithValue(t, "mnist: Batch: dst holds 11 values, want 12", func() { s.Batch(make([]float32, 11), []int{0, 1}) })
	assert.PanicsWithValue(t, "mnist: Batch: index 2 out of range [0,2)", func() { s.Batch(make([]float32, 6), []int{2}) })
	assert.Panics(t, func() { s.Batch(make([]float32, 6), []int{-1}) })
}

func TestOneHot(t *testing.T) {
	s := smallSet(t, 3, 1, 4, 1)
	dst := make([]float32, 3*5)
	for i := range dst {
		dst[i] = 7
	}
	require.NoError(t, s.OneHot(dst, []int{2, 0, 1}, 5))
	assert.Equal(t, []float32{
		0, 0, 0, 0, 1,
		0, 0, 0, 1, 0,
		0, 1, 0, 0, 0,
	}, dst)
}

func TestOneHotErrors(t *testing.T) {
	s := smallSet(t, 3, 1, 9, 1)
	tests := []struct {
		name    string
		dst     int
		idx     []int
		classes int
		want    string
	}{
		{"label", 20, []int{0, 2}, 5, "mnist: sample 2 has label 9, want < 5 classes"},
		{"label equal", 9, []int{2}, 9, "mnist: sample 2 has label 9, want < 9 classes"},
		{"classes", 20, []int{0}, 0, "mnist: OneHot: 0 classes"},
		{"dst", 19, []int{0, 1}, 10, "mnist: OneHot: dst holds 19 values, want 20"},
		{"index", 20, []int{4}, 10, "mnist: OneHot: index 4 out of range [0,4)"},
		{"negative index", 20, []int{-1}, 10, "mnist: OneHot: index -1 out of range [0,4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]float32, tt.dst)
			err := s.OneHot(dst, tt.idx, tt.classes)
			require.EqualError(t, err, tt.want)
			assert.Equal(t, make([]float32, tt.dst), dst, "dst unchanged")
		})
	}
	require.ErrorIs(t, s.OneHot(make([]float32, 5), []int{2}, 5), ErrLabel)
}

func TestBatchOneHotDoNotAllocate(t *testing.T) {
	s := smallSet(t, 3, 1, 4, 1)
	idx := []int{3, 1, 2}
	x := make([]float32, len(idx)*s.Dim())
	y := make([]float32, len(idx)*10)
	assert.Zero(t, testing.AllocsPerRun(100, func() { s.Batch(x, idx) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if err := s.OneHot(y, idx, 10); err != nil {
			t.Fatal(err)
		}
	}))
}

func TestClassMeans(t *testing.T) {
	s := smallSet(t, 1, 0, 1, 1)
	means, err := s.ClassMeans(3)
	require.NoError(t, err)
	require.Len(t, means, 3)
	for j := range 6 {
		assert.InDelta(t, float32(10+j)/255, means[0][j], 1e-6)
		assert.InDelta(t, (float32(0+20+30)/3+float32(j))/255, means[1][j], 1e-6)
		assert.Zero(t, means[2][j], "a class without images")
	}
	assert.Len(t, means[0], 6)
	assert.Equal(t, 6, cap(means[0]), "rows do not overlap")

	_, err = s.ClassMeans(1)
	require.ErrorIs(t, err, ErrLabel)
	require.EqualError(t, err, "mnist: sample 0 has label 1, want < 1 classes")
	_, err = s.ClassMeans(0)
	require.EqualError(t, err, "mnist: ClassMeans: 0 classes")
}

func TestCheckLabels(t *testing.T) {
	s := smallSet(t, 3, 1, 12, 9)
	require.NoError(t, s.CheckLabels(13))
	err := s.CheckLabels(10)
	require.ErrorIs(t, err, ErrLabel)
	require.EqualError(t, err, "mnist: sample 2 has label 12, want < 10 classes")
	require.EqualError(t, s.CheckLabels(0), "mnist: CheckLabels: 0 classes")
	require.NoError(t, smallSet(t).CheckLabels(1), "an empty set has no bad label")
}
