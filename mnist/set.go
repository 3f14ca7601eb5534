package mnist

import "fmt"

// Set is a labelled data set: image i has label Labels[i].
type Set struct {
	Images *Images // the images, Images.N of them
	Labels []uint8 // one label per image, the class index (0-9 for MNIST)
}

// pixelValue maps a pixel byte to its float32 value, byte/255.
var pixelValue = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// NewSet pairs images with their labels. It checks that the images are
// self-consistent and that there is one label per image.
func NewSet(images *Images, labels []uint8) (*Set, error) {
	if err := images.check(); err != nil {
		return nil, err
	}
	if images.N != len(labels) {
		return nil, formatError(fmt.Sprintf("%d images but %d labels", images.N, len(labels)))
	}
	return &Set{Images: images, Labels: labels}, nil
}

// check reports whether m's sizes agree with its pixels.
func (m *Images) check() error {
	if m == nil {
		return formatError("no images")
	}
	if m.N < 0 || m.Rows <= 0 || m.Cols <= 0 || m.N > maxPayload || m.Rows > maxPayload || m.Cols > maxPayload ||
		uint64(m.Rows)*uint64(m.Cols) > maxPayload {
		return formatError(fmt.Sprintf("bad image size %dx%dx%d", m.N, m.Rows, m.Cols))
	}
	// No overflow: both factors are at most maxPayload.
	if uint64(m.Rows)*uint64(m.Cols)*uint64(m.N) != uint64(len(m.Pix)) {
		return formatError(fmt.Sprintf("%d pixels for %dx%dx%d images", len(m.Pix), m.N, m.Rows, m.Cols))
	}
	return nil
}

// Len returns the number of samples.
func (s *Set) Len() int { return len(s.Labels) }

// Dim returns the number of pixels of an image, Rows*Cols.
func (s *Set) Dim() int { return s.Images.Rows * s.Images.Cols }

// Slice returns the first n samples as a view of s, sharing its memory.
// If n <= 0 or n >= s.Len() it returns s.
func (s *Set) Slice(n int) *Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	m := *s.Images
	m.N = n
	m.Pix = m.Pix[: n*s.Dim() : n*s.Dim()]
	return &Set{Images: &m, Labels: s.Labels[:n:n]}
}

// Batch writes the images idx[0], idx[1], ... as consecutive rows of
// pixel/255 values into dst, which must hold len(idx)*s.Dim() values. It does
// not allocate. It panics if dst is too short or an index is out of range.
func (s *Set) Batch(dst []float32, idx []int) {
	d := s.Dim()
	if len(dst) < len(idx)*d {
		panic(fmt.Sprintf("mnist: Batch: dst holds %d values, want %d", len(dst), len(idx)*d))
	}
	for k, i := range idx {
		if i < 0 || i >= s.Len() {
			panic(fmt.Sprintf("mnist: Batch: index %d out of range [0,%d)", i, s.Len()))
		}
		row := dst[k*d : (k+1)*d]
		for j, p := range s.Images.Pix[i*d : (i+1)*d] {
			row[j] = pixelValue[p]
		}
	}
}

// OneHot writes the labels of samples idx[0], idx[1], ... as consecutive
// one-hot rows of length classes into dst, which must hold len(idx)*classes
// values. It returns an error, leaving dst unchanged, if a label is not below
// classes (the error wraps ErrLabel) or an argument is out of range. It does
// not allocate unless it returns an error.
func (s *Set) OneHot(dst []float32, idx []int, classes int) error {
	if err := s.checkOneHot(dst, idx, classes); err != nil {
		return err
	}
	for k, i := range idx {
		row := dst[k*classes : (k+1)*classes]
		clear(row)
		row[s.Labels[i]] = 1
	}
	return nil
}

// checkOneHot checks the arguments of OneHot and the labels they select.
func (s *Set) checkOneHot(dst []float32, idx []int, classes int) error {
	if classes <= 0 {
		return &Error{Msg: fmt.Sprintf("OneHot: %d classes", classes)}
	}
	if len(dst) < len(idx)*classes {
		return &Error{Msg: fmt.Sprintf("OneHot: dst holds %d values, want %d", len(dst), len(idx)*classes)}
	}
	for _, i := range idx {
		if i < 0 || i >= s.Len() {
			return &Error{Msg: fmt.Sprintf("OneHot: index %d out of range [0,%d)", i, s.Len())}
		}
		if int(s.Labels[i]) >= classes {
			return labelError(i, s.Labels[i], classes)
		}
	}
	return nil
}

// CheckLabels reports the first sample whose label is not below classes,
// with an error wrapping ErrLabel, so that a program can reject a data set
// before it starts using OneHot.
func (s *Set) CheckLabels(classes int) error {
	if classes <= 0 {
		return &Error{Msg: fmt.Sprintf("CheckLabels: %d classes", classes)}
	}
	for i, c := range s.Labels {
		if int(c) >= classes {
			return labelError(i, c, classes)
		}
	}
	return nil
}

// labelError is the error for a label of sample i that is not below classes.
func labelError(i int, label uint8, classes int) error {
	return &Error{Msg: fmt.Sprintf("sample %d has label %d, want < %d classes", i, label, classes), Err: ErrLabel}
}

// ClassMeans returns, for each class c < classes, the mean of the images
// labelled c, as pixel/255 values; a class without images gets zeros. It
// returns an error wrapping ErrLabel if a label is not below classes.
func (s *Set) ClassMeans(classes int) ([][]float32, error) {
	if classes <= 0 {
		return nil, &Error{Msg: fmt.Sprintf("ClassMeans: %d classes", classes)}
	}
	d := s.Dim()
	sums := make([]uint64, classes*d)
	counts := make([]int, classes)
	for i, c := range s.Labels {
		if int(c) >= classes {
			return nil, labelError(i, c, classes)
		}
		counts[c]++
		sum := sums[int(c)*d : (int(c)+1)*d]
		for j, p := range s.Images.Pix[i*d : (i+1)*d] {
			sum[j] += uint64(p)
		}
	}
	return means(sums, counts, d), nil
}

// means divides each class's pixel sums by 255 times its count.
func means(sums []uint64, counts []int, d int) [][]float32 {
	all := make([]float32, len(sums))
	out := make([][]float32, len(counts))
	for c, n := range counts {
		out[c] = all[c*d : (c+1)*d : (c+1)*d]
		if n == 0 {
			continue
		}
		scale := 1 / (255 * float64(n))
		for j, v := range sums[c*d : (c+1)*d] {
			out[c][j] = float32(float64(v) * scale)
		}
	}
	return out
}
