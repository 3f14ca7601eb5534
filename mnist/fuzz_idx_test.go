package mnist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadIDX fuzzes a pair of files the way pcgo reads them: both byte
// strings go to both readers (an image file must be rejected as labels and
// the other way round), and then the pair is written to a temporary folder as
// the training images and labels and read back with LoadSet. LoadSet must
// succeed exactly when both files are valid and their counts agree, its
// errors must name the file at fault, and a set it returns must be usable
// for batches and one-hot labels, which reject labels of 10 or more.
func FuzzReadIDX(f *testing.F) {
	pairs := [][2][]byte{
		{imagesFile(1, 1, 1), labelsFile(0)},
		{imagesFile(3, 2, 2), labelsFile(0, 9, 5)},
		{imagesFile(3, 2, 2), labelsFile(0, 10, 255)},   // labels > 9
		{imagesFile(3, 2, 2), labelsFile(1, 2)},         // count mismatch
		{labelsFile(1, 2), imagesFile(2, 1, 1)},         // swapped
		{imagesFile(2, 3, 3), imagesFile(2, 3, 3)},      // two image files
		{imagesFile(4, 28, 28)[:100], labelsFile(1, 2)}, // short payload
		{append(imagesFile(1, 2, 2), 0), labelsFile(7)}, // trailing data
		{idxFile(0x803, []uint32{2, 1 << 16, 1 << 16}, nil), labelsFile(1, 2)},
	}
	for _, p := range pairs {
		f.Add(p[0], p[1])
		zi, zl := gzipped(f, p[0]), gzipped(f, p[1])
		f.Add(zi, zl)
		f.Add(zi[:len(zi)-3], p[1]) // truncated gzip stream
		f.Add(p[0], zl[:len(zl)/2])
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{0x1f, 0x8b}, []byte{0, 0, 8, 1})

	// One folder per fuzzing process, its two files rewritten by every input
	// (a new folder per input would make file system work most of the cost).
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		var images [2]*Images
		var labels [2][]uint8
		var imgErrs, lblErrs [2]error
		for i, data := range [][]byte{img, lbl} {
			images[i], imgErrs[i] = ReadImages(bytes.NewReader(data))
			if imgErrs[i] != nil {
				checkError(t, imgErrs[i])
			} else {
				m := images[i]
				checkEncoding(t, data, 0x803, []int{m.N, m.Rows, m.Cols}, m.Pix)
			}
			labels[i], lblErrs[i] = ReadLabels(bytes.NewReader(data))
			if lblErrs[i] != nil {
				checkError(t, lblErrs[i])
			} else {
				checkEncoding(t, data, 0x801, []int{len(labels[i])}, labels[i])
			}
			if imgErrs[i] == nil && lblErrs[i] == nil {
				t.Fatal("the same bytes read as images and as labels")
			}
		}
		imgErr, lblErr := imgErrs[0], lblErrs[1]

		const imgName, lblName = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
		for name, data := range map[string][]byte{imgName: img, lblName: lbl} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := LoadSet(dir, "train")
		if err != nil {
			if s != nil {
				t.Fatal("a set returned with an error")
			}
			checkLoadError(t, err, imgErr, lblErr, imgName, lblName)
			return
		}
		switch {
		case imgErr != nil || lblErr != nil:
			t.Fatalf("LoadSet accepted files the readers reject: %v, %v", imgErr, lblErr)
		case images[0].N != len(labels[1]):
			t.Fatalf("LoadSet accepted %d images with %d labels", images[0].N, len(labels[1]))
		case s.Len() != images[0].N || s.Dim() != images[0].Rows*images[0].Cols ||
			!bytes.Equal(s.Images.Pix, images[0].Pix) || !bytes.Equal(s.Labels, labels[1]):
			t.Fatal("LoadSet's set differs from what the readers read")
		}
		last := []int{s.Len() - 1}
		s.Batch(make([]float32, s.Dim()), last)
		bad := -1
		for i, c := range s.Labels {
			if c > 9 {
				bad = i
				break
			}
		}
		err = s.CheckLabels(10)
		if (err != nil) != (bad >= 0) || err != nil && !errors.Is(err, ErrLabel) {
			t.Fatalf("CheckLabels(10) = %v; first label > 9 at %d", err, bad)
		}
		if bad >= 0 {
			if err := s.OneHot(make([]float32, 10), []int{bad}, 10); !errors.Is(err, ErrLabel) {
				t.Fatalf("OneHot accepted label %d: %v", s.Labels[bad], err)
			}
		} else if err := s.OneHot(make([]float32, 10), last, 10); err != nil {
			t.Fatal(err)
		}
	})
}

// checkLoadError checks an error of LoadSet against what the readers said:
// it is a one-line format error that names the image file if the images are
// bad, else the label file if the labels are, else both (the counts differ).
func checkLoadError(t *testing.T, err, imgErr, lblErr error, imgName, lblName string) {
	t.Helper()
	checkError(t, err)
	msg := err.Error()
	switch {
	case imgErr != nil:
		if want := "mnist: " + imgName + ": " + strings.TrimPrefix(imgErr.Error(), "mnist: "); msg != want {
			t.Fatalf("LoadSet: %q, want %q", msg, want)
		}
	case lblErr != nil:
		if want := "mnist: " + lblName + ": " + strings.TrimPrefix(lblErr.Error(), "mnist: "); msg != want {
			t.Fatalf("LoadSet: %q, want %q", msg, want)
		}
	case !strings.Contains(msg, imgName) || !strings.Contains(msg, lblName) || !strings.Contains(msg, "labels"):
		t.Fatalf("LoadSet of valid files: %q, want a count mismatch naming both", msg)
	}
}
