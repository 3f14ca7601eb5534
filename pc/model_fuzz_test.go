package pc_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/pc"
)

// FuzzLoadModel feeds arbitrary bytes to ReadModel: it must never panic,
// must fail with a model file error of one of the exported classes, and a
// model it accepts must encode back to exactly the input. Each input is
// also tried with its last four bytes replaced by a valid CRC, so that the
// fuzzer reaches the checks behind the checksum.
func FuzzLoadModel(f *testing.F) {
	for _, progress := range []bool{false, true} {
		valid := mfEncode(f, mfModel(f, progress))
		f.Add(valid)
		f.Add(valid[:len(valid)/2])
		f.Add(append(slices.Clone(valid), 0))
		flipped := slices.Clone(valid)
		flipped[40] ^= 0x80
		f.Add(flipped)
	}
	f.Add(mfFile(1, mfArch("relu", "generative", 2, 1), mfHyprOK.section(), mfWght([]float32{1, -1})))
	f.Add(mfFile(1, mfArch("relu", "generative", 1, 1, 1, 1), mfHyprOK.section(), mfProg{}.section(), mfWght([]float32{0, 0, 0})))
	f.Add(mfFile(2))
	f.Add([]byte("PCGOMODL"))
	f.Add([]byte{})
	if fixture, err := os.ReadFile(mfFixture); err == nil {
		f.Add(fixture)
	}

	check := func(t *testing.T, data []byte) {
		m, err := pc.ReadModel(bytes.NewReader(data))
		if err != nil {
			require.Nil(t, m)
			mfRequireOneLine(t, err)
			for _, class := range []error{pc.ErrNotModel, pc.ErrVersion, pc.ErrTruncated, pc.ErrChecksum, pc.ErrCorrupt} {
				if errors.Is(err, class) {
					return
				}
			}
			t.Fatalf("error of no class: %v", err)
		}
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		require.NoError(t, err)
		require.Equal(t, int64(len(data)), n)
		require.Equal(t, data, buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		if len(data) >= 4 {
			check(t, mfFixCRC(data))
		}
	})
}
