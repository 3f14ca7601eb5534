package pc_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/pc"
)

// FuzzLoadModel feeds arbitrary bytes to ReadModel: it must never panic,
// must fail with a model file error of one of the exported classes, and a
// model it accepts must survive encoding: decoding what WriteTo writes
// gives the model back, and that encoding is exactly the input for a
// version-2 file (the version WriteTo writes), and the input upgraded to
// version 2 for a version-1 file. Each input is also tried with its last
// four bytes replaced by a valid CRC, so that the fuzzer reaches the checks
// behind the checksum.
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
	for _, v := range []uint32{1, 2} {
		f.Add(mfFile(v, mfArch("relu", "generative", 2, 1), mfHyprOK.section(v), mfWght([]float32{1, -1})))
		f.Add(mfFile(v, mfArch("relu", "generative", 1, 1, 1, 1), mfHyprOK.section(v), mfProg{}.section(), mfWght([]float32{0, 0, 0})))
		f.Add(mfFile(v, mfArch("tanh", "discriminative", 2, 1), mfHyprOK.section(3-v), mfWght([]float32{1, -1})))
	}
	f.Add(mfFile(3))
	f.Add([]byte("PCGOMODL"))
	f.Add([]byte{})
	for _, path := range []string{mfFixture, mfFixtureV1} {
		if fixture, err := os.ReadFile(path); err == nil {
			f.Add(fixture)
		}
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
		require.Equal(t, int64(buf.Len()), n)
		switch v := binary.LittleEndian.Uint32(data[8:]); v {
		case 2:
			require.Equal(t, data, buf.Bytes())
		case 1:
			require.Equal(t, mfUpgradeV1(t, data), buf.Bytes())
		default:
			t.Fatalf("version %d accepted", v)
		}
		again, err := pc.ReadModel(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		mfRequireSameModel(t, m, again)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		if len(data) >= 4 {
			check(t, mfFixCRC(data))
		}
	})
}
