package pc_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/pcgo/pcgo/linalg"
	"github.com/pcgo/pcgo/pc"
)

var mfUpdate = flag.Bool("update-model-fixture", false, "rewrite testdata/model_v2.pcgo, the version this build writes")

// The fixtures: mfModel(t, true) as this build writes it (version 2), and
// as version-1 builds wrote it, which must keep loading; nothing rewrites
// the version-1 file.
const (
	mfFixture   = "testdata/model_v2.pcgo"
	mfFixtureV1 = "testdata/model_v1.pcgo"
)

// mfWeights are the 32 weights of the {5, 4, 3} test net: a ramp with
// negative zero, the smallest subnormal and the extremes of float32 mixed in.
func mfWeights() []float32 {
	w := make([]float32, 32)
	for i := range w {
		w[i] = float32(i-16) * 0.375
	}
	w[0] = float32(math.Copysign(0, -1))
	w[7] = math.SmallestNonzeroFloat32
	w[13] = math.MaxFloat32
	w[21] = -math.MaxFloat32
	w[30] = 1e-38
	return w
}

// mfRNG is a PCG state as math/rand/v2 marshals it.
var mfRNG = []byte("pcg:\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f")

// mfModel returns the test model: a {5, 4, 3} net with mfWeights and every
// field set, with or without progress.
func mfModel(t testing.TB, withProgress bool) *pc.Model {
	t.Helper()
	net, err := pc.NewNet([]int{5, 4, 3}, 0, 1)
	require.NoError(t, err)
	w := mfWeights()
	copy(net.W[0].Data, w[:20])
	copy(net.W[1].Data, w[20:])
	m := &pc.Model{
		Net:        net,
		Config:     pc.Config{IR: 0.05, LR: 0.005, T: 20, TGen: 40, Precision0: 0.1},
		Activation: "relu",
		Mode:       "generative",
		Std:        0.001,
		Seed:       0x0123456789abcdef,
		Batch:      50,
		Epochs:     5,
	}
	if withProgress {
		m.Progress = &pc.Progress{Epoch: 2, Batch: 17, Limit: 1000, RNG: slices.Clone(mfRNG), Threads: 8, Kernels: "avx2"}
	}
	return m
}

// mfModelV1 returns mfModel as a version-1 file of it loads: without
// Precision0, which version 1 did not store.
func mfModelV1(t testing.TB, withProgress bool) *pc.Model {
	m := mfModel(t, withProgress)
	m.Config.Precision0 = 0
	return m
}

// A hand-built model file, independent of the package's encoder.

type mfSection struct {
	tag     string
	payload []byte
}

// mfPrefix returns magic, version and sections, without the CRC.
func mfPrefix(version uint32, secs ...mfSection) []byte {
	b := []byte("PCGOMODL")
	b = binary.LittleEndian.AppendUint32(b, version)
	for _, s := range secs {
		b = append(b, s.tag...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s.payload)))
		b = append(b, s.payload...)
	}
	return b
}

// mfFile returns a complete file with a valid CRC.
func mfFile(version uint32, secs ...mfSection) []byte {
	return mfWithCRC(mfPrefix(version, secs...))
}

// mfWithCRC appends the CRC of b.
func mfWithCRC(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// mfFixCRC returns a copy of a file whose last 4 bytes are replaced by the
// CRC of the rest.
func mfFixCRC(file []byte) []byte {
	return mfWithCRC(slices.Clone(file[:len(file)-4]))
}

func mfArch(act, mode string, sizes ...uint32) mfSection {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(sizes)))
	for _, s := range sizes {
		b = binary.LittleEndian.AppendUint32(b, s)
	}
	b = append(append(b, byte(len(act))), act...)
	b = append(append(b, byte(len(mode))), mode...)
	return mfSection{"ARCH", b}
}

type mfHypr struct {
	IR, LR        float32
	T, TGen       uint32
	Std           float64
	Seed          uint64
	Batch, Epochs uint32
	Precision0    float32 // version 2 only
}

// section returns the HYPR section of a file of the given version: version
// 1's leaves Precision0 out.
func (h mfHypr) section(version uint32) mfSection {
	b, err := binary.Append(nil, binary.LittleEndian, h)
	if err != nil {
		panic(err)
	}
	if version == 1 {
		b = b[:mfHyprLen(1)]
	}
	return mfSection{"HYPR", b}
}

// mfHyprLen is the length of HYPR in a file of the given version.
func mfHyprLen(version uint32) int {
	if version == 1 {
		return 40
	}
	return 44
}

var mfHyprOK = mfHypr{IR: 0.05, LR: 0.005, T: 20, TGen: 40, Std: 0.001, Seed: 0x0123456789abcdef, Batch: 50, Epochs: 5, Precision0: 0.1}

// mfUpgradeV1 returns the version-2 file a valid version-1 file re-encodes
// to: the version 2, HYPR's Precision0 0 added, the CRC recomputed.
func mfUpgradeV1(t testing.TB, v1 []byte) []byte {
	t.Helper()
	require.Equal(t, uint32(1), binary.LittleEndian.Uint32(v1[8:]))
	b := append([]byte("PCGOMODL"), 2, 0, 0, 0)
	for off := 12; off < len(v1)-4; {
		tag, n := string(v1[off:off+4]), int(binary.LittleEndian.Uint32(v1[off+4:]))
		payload := v1[off+8 : off+8+n]
		if tag == "HYPR" {
			require.Len(t, payload, 40)
			payload = append(slices.Clone(payload), 0, 0, 0, 0)
		}
		b = append(b, tag...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
		b = append(b, payload...)
		off += 8 + n
	}
	return mfWithCRC(b)
}

type mfProg struct {
	Epoch, Batch, Limit, Threads uint32
	Kernels                      string
	RNG                          []byte
}

func (p mfProg) section() mfSection {
	b, err := binary.Append(nil, binary.LittleEndian, [4]uint32{p.Epoch, p.Batch, p.Limit, p.Threads})
	if err != nil {
		panic(err)
	}
	b = append(append(b, byte(len(p.Kernels))), p.Kernels...)
	b = append(append(b, byte(len(p.RNG))), p.RNG...)
	return mfSection{"PROG", b}
}

var mfProgOK = mfProg{Epoch: 2, Batch: 17, Limit: 1000, Threads: 8, Kernels: "avx2", RNG: mfRNG}

func mfWght(w []float32) mfSection {
	var b []byte
	for _, x := range w {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return mfSection{"WGHT", b}
}

func mfArchOK() mfSection { return mfArch("relu", "generative", 5, 4, 3) }

// mfEncode returns m's file bytes, checking WriteTo's count.
func mfEncode(t testing.TB, m *pc.Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), n)
	return buf.Bytes()
}

// mfRead decodes a file from memory.
func mfRead(b []byte) (*pc.Model, error) { return pc.ReadModel(bytes.NewReader(b)) }

// mfRequireSameModel checks every field, and the weights bit for bit.
func mfRequireSameModel(t *testing.T, want, got *pc.Model) {
	t.Helper()
	require.Equal(t, want, got)
	require.Equal(t, want.Net.Sizes, got.Net.Sizes)
	require.Len(t, got.Net.W, len(want.Net.W))
	for i, w := range want.Net.W {
		g := got.Net.W[i]
		require.Equal(t, [3]int{w.Rows, w.Cols, w.Cols}, [3]int{g.Rows, g.Cols, g.Stride}, "W[%d] shape", i)
		require.Len(t, g.Data, w.Rows*w.Cols)
		for r := range w.Rows {
			for c := range w.Cols {
				require.Equal(t, math.Float32bits(w.At(r, c)), math.Float32bits(g.At(r, c)), "W[%d](%d,%d)", i, r, c)
			}
		}
	}
}

// mfRequireOneLine checks the shape every model file error has.
func mfRequireOneLine(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "pc: model file: "), "error %q lacks the prefix", err)
	require.NotContains(t, err.Error(), "\n")
}

func TestModelRoundTrip(t *testing.T) {
	t.Parallel()
	big, err := pc.NewNet([]int{7, 33, 2, 9}, 0.3, 99)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		m    func(t *testing.T) *pc.Model
	}{
		{"finished", func(t *testing.T) *pc.Model { return mfModel(t, false) }},
		{"checkpoint", func(t *testing.T) *pc.Model { return mfModel(t, true) }},
		{"checkpoint with empty strings", func(t *testing.T) *pc.Model {
			m := mfModel(t, true)
			m.Progress.RNG, m.Progress.Kernels = nil, ""
			return m
		}},
		{"extreme values", func(t *testing.T) *pc.Model {
			m := mfModel(t, true)
			m.Config = pc.Config{IR: float32(math.Copysign(0, -1)), LR: math.MaxFloat32, T: math.MaxInt32, TGen: 0,
				Precision0: math.SmallestNonzeroFloat32}
			m.Std, m.Seed, m.Batch, m.Epochs = math.MaxFloat64, math.MaxUint64, 0, math.MaxInt32
			m.Progress = &pc.Progress{Epoch: math.MaxInt32, Batch: math.MaxInt32, Limit: math.MaxInt32, Threads: math.MaxInt32,
				Kernels: strings.Repeat("~", 32), RNG: bytes.Repeat([]byte{0xff}, 64)}
			return m
		}},
		{"random net", func(t *testing.T) *pc.Model {
			m := mfModel(t, false)
			m.Net = big
			return m
		}},
		{"sigmoid, discriminative", func(t *testing.T) *pc.Model {
			m := mfModel(t, false)
			m.Net.Act, m.Net.Mode = pc.Sigmoid, pc.Discriminative
			m.Activation, m.Mode = "sigmoid", "discriminative"
			return m
		}},
		// Precision0 0 (meaning 1), 0.1 (mfModel's) and 1 are kept as given.
		{"Precision0 0", func(t *testing.T) *pc.Model { return mfModelV1(t, true) }},
		{"Precision0 0.1", func(t *testing.T) *pc.Model { return mfModel(t, true) }},
		{"Precision0 1", func(t *testing.T) *pc.Model {
			m := mfModel(t, true)
			m.Config.Precision0 = 1
			return m
		}},
		{"Precision0 -0", func(t *testing.T) *pc.Model {
			m := mfModel(t, false)
			m.Config.Precision0 = float32(math.Copysign(0, -1))
			return m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := tc.m(t)
			file := mfEncode(t, m)
			got, err := mfRead(file)
			require.NoError(t, err)
			mfRequireSameModel(t, m, got)
			require.Equal(t, file, mfEncode(t, got), "re-encoding")
			require.Equal(t, uint32(2), binary.LittleEndian.Uint32(file[8:]), "version")
			require.Equal(t, math.Float32bits(m.Config.Precision0), math.Float32bits(got.Config.Precision0), "Precision0")

			// Through the file system, and read a byte at a time.
			path := filepath.Join(t.TempDir(), "m.pcgo")
			require.NoError(t, pc.SaveModel(path, m))
			got, err = pc.LoadModel(path)
			require.NoError(t, err)
			mfRequireSameModel(t, m, got)
			got, err = pc.ReadModel(iotest.OneByteReader(bytes.NewReader(file)))
			require.NoError(t, err)
			mfRequireSameModel(t, m, got)
		})
	}
}

func TestModelLoadedNetWorks(t *testing.T) {
	t.Parallel()
	m := mfModel(t, false)
	net, err := pc.NewNet([]int{5, 4, 3}, 0.5, 3)
	require.NoError(t, err)
	m.Net = net
	got, err := mfRead(mfEncode(t, m))
	require.NoError(t, err)
	require.Equal(t, 32, got.Net.Params())
	ws, err := pc.NewWorkspace(got.Net, 3, nil)
	require.NoError(t, err)
	want, err := pc.NewWorkspace(m.Net.Clone(), 3, nil)
	require.NoError(t, err)
	y := linalg.New(3, 3)
	for i := range 3 {
		y.Set(i, i, 1)
	}
	a, err := ws.Generate(y)
	require.NoError(t, err)
	b, err := want.Generate(y)
	require.NoError(t, err)
	require.Equal(t, b.Data, a.Data)
}

// TestModelLayout pins the byte layout against a file built by hand, and
// against the version-2 fixture in testdata, which this build writes byte
// for byte (-update-model-fixture rewrites it).
func TestModelLayout(t *testing.T) {
	t.Parallel()
	want := mfFile(2, mfArchOK(), mfHyprOK.section(2), mfProgOK.section(), mfWght(mfWeights()))
	require.Equal(t, want, mfEncode(t, mfModel(t, true)))
	require.Equal(t, mfFile(2, mfArchOK(), mfHyprOK.section(2), mfWght(mfWeights())), mfEncode(t, mfModel(t, false)))
	require.Equal(t, "PCGOMODL\x02\x00\x00\x00ARCH\x20\x00\x00\x00\x03\x00\x00\x00\x05\x00\x00\x00", string(want[:28]))
	// HYPR follows ARCH's 32 bytes: 44 bytes, Precision0 last.
	require.Equal(t, "HYPR\x2c\x00\x00\x00", string(want[52:60]))
	require.Equal(t, math.Float32bits(0.1), binary.LittleEndian.Uint32(want[100:]))
	require.Equal(t, "PROG", string(want[104:108]))

	if *mfUpdate {
		require.NoError(t, os.WriteFile(mfFixture, want, 0o644))
	}
	fixture, err := os.ReadFile(mfFixture)
	require.NoError(t, err)
	require.Equal(t, want, fixture, "%s differs from this build's encoding", mfFixture)
	got, err := pc.LoadModel(mfFixture)
	require.NoError(t, err)
	mfRequireSameModel(t, mfModel(t, true), got)
}

// TestModelVersion1 loads the version-1 fixture, written by a version-1
// build: it is the hand-built version-1 layout, loads to the expected model
// with Precision0 0, and re-encodes as version 2.
func TestModelVersion1(t *testing.T) {
	t.Parallel()
	v1 := mfFile(1, mfArchOK(), mfHyprOK.section(1), mfProgOK.section(), mfWght(mfWeights()))
	require.Equal(t, "PCGOMODL\x01\x00\x00\x00", string(v1[:12]))
	require.Equal(t, "HYPR\x28\x00\x00\x00", string(v1[52:60]))
	fixture, err := os.ReadFile(mfFixtureV1)
	require.NoError(t, err)
	require.Equal(t, v1, fixture, "%s is not the version-1 layout", mfFixtureV1)

	got, err := pc.LoadModel(mfFixtureV1)
	require.NoError(t, err)
	mfRequireSameModel(t, mfModelV1(t, true), got)
	require.Zero(t, math.Float32bits(got.Config.Precision0))

	v2 := mfEncode(t, got)
	require.Equal(t, mfUpgradeV1(t, v1), v2)
	h := mfHyprOK
	h.Precision0 = 0
	require.Equal(t, mfFile(2, mfArchOK(), h.section(2), mfProgOK.section(), mfWght(mfWeights())), v2)
	again, err := mfRead(v2)
	require.NoError(t, err)
	mfRequireSameModel(t, got, again)

	// Without progress too, and through a byte-at-a-time reader.
	v1 = mfFile(1, mfArchOK(), mfHyprOK.section(1), mfWght(mfWeights()))
	got, err = pc.ReadModel(iotest.OneByteReader(bytes.NewReader(v1)))
	require.NoError(t, err)
	mfRequireSameModel(t, mfModelV1(t, false), got)
	require.Equal(t, mfUpgradeV1(t, v1), mfEncode(t, got))
}

// mfFiles returns the test model's files, with and without progress, as
// this build writes them (version 2) and as version 1 had them.
func mfFiles(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	for _, progress := range []bool{false, true} {
		secs := []mfSection{mfArchOK(), mfHyprOK.section(1)}
		if progress {
			secs = append(secs, mfProgOK.section())
		}
		secs = append(secs, mfWght(mfWeights()))
		files[fmt.Sprintf("v1, progress %v", progress)] = mfFile(1, secs...)
		files[fmt.Sprintf("v2, progress %v", progress)] = mfEncode(t, mfModel(t, progress))
	}
	return files
}

func TestReadModelTruncated(t *testing.T) {
	t.Parallel()
	for name, file := range mfFiles(t) {
		_, err := mfRead(file)
		require.NoError(t, err, name)
		for k := range len(file) {
			m, err := mfRead(file[:k])
			require.ErrorIs(t, err, pc.ErrTruncated, "%s: cut at %d of %d", name, k, len(file))
			mfRequireOneLine(t, err)
			require.Nil(t, m)
		}
	}
	_, err := mfRead(nil)
	require.EqualError(t, err, "pc: model file: truncated: the file is empty")
	_, err = mfRead([]byte("PCGO"))
	require.EqualError(t, err, "pc: model file: truncated: file ends in the header (4 bytes)")
}

// TestReadModelFlips changes every byte of a file to every other value: each
// is an error. Structural fields (header, section headers, the ARCH section)
// stay errors even with the CRC recomputed, and of the expected class; a
// section length changed to a value within bounds may also leave the file
// too short, and so be truncated. It runs on version-1 and version-2 files,
// with and without progress.
func TestReadModelFlips(t *testing.T) {
	t.Parallel()
	for name, file := range mfFiles(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testFlips(t, file)
		})
	}
}

func testFlips(t *testing.T, file []byte) {
	// Where the structure is: magic, version, every section header, ARCH.
	class := make([][]error, len(file))
	for i := range 12 {
		class[i] = []error{pc.ErrNotModel}
		if i >= 8 {
			class[i] = []error{pc.ErrVersion}
		}
	}
	sections, progress := 0, 0
	for off := 12; ; {
		tag, n := string(file[off:off+4]), int(binary.LittleEndian.Uint32(file[off+4:]))
		end := off + 8
		if tag == "ARCH" {
			end += n
		}
		for i := off; i < end; i++ {
			class[i] = []error{pc.ErrCorrupt, pc.ErrTruncated}
		}
		sections++
		if tag == "PROG" {
			progress = 1
		}
		off += 8 + n
		if tag == "WGHT" {
			require.Equal(t, len(file)-4, off)
			break
		}
	}
	require.Equal(t, 3+progress, sections)
	requireOneOf := func(err error, classes []error, format string, args ...any) {
		t.Helper()
		for _, c := range classes {
			if errors.Is(err, c) {
				return
			}
		}
		require.Failf(t, "wrong error class", "%v: got %v, want one of %v", fmt.Sprintf(format, args...), err, classes)
	}

	for i := range file {
		for x := 1; x < 256; x++ {
			bad := slices.Clone(file)
			bad[i] ^= byte(x)
			m, err := mfRead(bad)
			require.Error(t, err, "byte %d ^= %#x", i, x)
			require.Nil(t, m)
			mfRequireOneLine(t, err)
			classes := class[i]
			if classes == nil {
				continue
			}
			// The other version this build reads is accepted, and its
			// HYPR length then rejected.
			if v := binary.LittleEndian.Uint32(bad[8:]); i >= 8 && i < 12 && (v == 1 || v == 2) {
				classes = []error{pc.ErrCorrupt}
				require.ErrorContains(t, err, "section HYPR is ")
			}
			// A flipped header or section header is caught before the CRC.
			if !isARCHPayload(file, i) {
				requireOneOf(err, classes, "byte %d ^= %#x", i, x)
			}
			_, err = mfRead(mfFixCRC(bad))
			requireOneOf(err, classes, "byte %d ^= %#x with the CRC fixed", i, x)
		}
	}
}

// isARCHPayload reports whether offset i is inside the ARCH payload (the
// first section) of file.
func isARCHPayload(file []byte, i int) bool {
	n := int(binary.LittleEndian.Uint32(file[16:]))
	return i >= 20 && i < 20+n
}

// mfAllocated returns the bytes allocated while f runs.
func mfAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadModelBoundsBeforeAllocation feeds lengths and sizes far beyond
// the limits, and large but legal claims with little data behind them: each
// is an error found without allocating what the file claims.
// It runs on version-1 and version-2 files. Not parallel: it measures the
// allocations of the whole process.
func TestReadModelBoundsBeforeAllocation(t *testing.T) {
	for _, v := range []uint32{1, 2} {
		testBoundsBeforeAllocation(t, v)
	}
}

func testBoundsBeforeAllocation(t *testing.T, v uint32) {
	hypr, wght := mfHyprOK.section(v), mfWght(mfWeights())
	// header returns a section header with an arbitrary length.
	header := func(tag string, n uint32) []byte {
		return binary.LittleEndian.AppendUint32([]byte(tag), n)
	}
	zeros := make([]byte, 1<<20)
	for _, tc := range []struct {
		name  string
		file  []byte
		class error
		msg   string
	}{
		{"2^31 layers", mfFile(v, mfArch("relu", "generative", 5, 4, 3), hypr, wght), pc.ErrCorrupt, ""}, // patched below
		{"ARCH length 2^32-1", append(mfPrefix(v), header("ARCH", math.MaxUint32)...), pc.ErrCorrupt,
			"ARCH is 4294967295 bytes long; it must be 14 to 326"},
		{"ARCH length 2^31", append(mfPrefix(v), header("ARCH", 1<<31)...), pc.ErrCorrupt, "section ARCH is 2147483648 bytes long"},
		{"10^9 × 10^9 matrix", mfFile(v, mfArch("relu", "generative", 1e9, 1e9), hypr, wght), pc.ErrCorrupt,
			"layer 0 size 1000000000; it must be 1 to 65536"},
		{"65536² weights", mfFile(v, mfArch("relu", "generative", 65536, 65536), hypr, wght), pc.ErrCorrupt,
			"layer sizes [65536 65536] give 4294967296 weights; at most 268435456"},
		{"64 layers of 65536", mfFile(v, mfArch("relu", "generative", slices.Repeat([]uint32{65536}, 64)...)), pc.ErrCorrupt,
			"give 270582939648 weights"},
		{"activation length 255", mfFile(v, mfSection{"ARCH", append(mfArch("", "", 5, 4, 3).payload[:16], 255)}), pc.ErrCorrupt,
			"activation name is 255 bytes long; at most 32"},
		{"HYPR length 2^32-1", append(mfPrefix(v, mfArchOK()), header("HYPR", math.MaxUint32)...), pc.ErrCorrupt,
			fmt.Sprintf("section HYPR is 4294967295 bytes long; it must be %d", mfHyprLen(v))},
		{"PROG length 2^32-1", append(mfPrefix(v, mfArchOK(), hypr), header("PROG", math.MaxUint32)...), pc.ErrCorrupt,
			"section PROG is 4294967295 bytes long; it must be 18 to 114"},
		{"RNG length 200", mfFile(v, mfArchOK(), hypr, mfSection{"PROG", append(mfProg{}.section().payload[:17], 200)}), pc.ErrCorrupt,
			"RNG state is 200 bytes long; at most 64"},
		{"WGHT length 2^32-1", append(mfPrefix(v, mfArchOK(), hypr), header("WGHT", math.MaxUint32)...), pc.ErrCorrupt,
			"WGHT section is 4294967295 bytes long; the layer sizes [5 4 3] need 128"},
		{"2^28 weights announced, none present",
			append(mfPrefix(v, mfArch("relu", "generative", 65536, 4096), hypr), header("WGHT", 1<<30)...), pc.ErrTruncated,
			"file ends in section WGHT, W[0]"},
		{"2^28 weights announced, 1 MiB present",
			append(append(mfPrefix(v, mfArch("relu", "generative", 4096, 65536), hypr), header("WGHT", 1<<30)...), zeros...),
			pc.ErrTruncated, "file ends in section WGHT, W[0]"},
	} {
		if tc.name == "2^31 layers" {
			binary.LittleEndian.PutUint32(tc.file[20:], 1<<31)
			tc.msg = "layer count 2147483648; it must be 2 to 64"
		}
		var err error
		alloc := mfAllocated(func() { _, err = mfRead(tc.file) })
		name := fmt.Sprintf("version %d, %s", v, tc.name)
		require.ErrorIs(t, err, tc.class, name)
		require.ErrorContains(t, err, tc.msg, name)
		mfRequireOneLine(t, err)
		require.Less(t, alloc, uint64(8<<20), "%s: allocated %d bytes", name, alloc)
	}
}

func TestReadModelRandomBytes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	valid := mfEncode(t, mfModel(t, true))
	noise := func(b []byte) []byte {
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		return b
	}
	for i := range 20000 {
		var b []byte
		switch kind := i % 4; kind {
		case 0: // noise
			b = noise(make([]byte, rng.IntN(300)))
		case 1: // a model file's header, then noise
			b = append(slices.Clone(valid[:12]), noise(make([]byte, rng.IntN(300)))...)
		case 2, 3: // a valid file with a few bytes changed; in case 3 the CRC fixed
			b = slices.Clone(valid)
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
			if kind == 3 {
				b = mfFixCRC(b)
			}
		}
		m, err := mfRead(b)
		if err != nil {
			mfRequireOneLine(t, err)
			require.Nil(t, m)
			continue
		}
		// Only changed values under a fixed CRC can pass; such a file must
		// re-encode to itself.
		require.True(t, i%4 == 3 || bytes.Equal(b, valid), "random input accepted: % x", b)
		require.Equal(t, b, mfEncode(t, m))
	}
}

func TestReadModelTrailingBytes(t *testing.T) {
	t.Parallel()
	file := mfEncode(t, mfModel(t, false))
	for _, extra := range [][]byte{{0}, []byte("PCGOMODL"), file} {
		_, err := mfRead(append(slices.Clone(file), extra...))
		require.ErrorIs(t, err, pc.ErrCorrupt)
		require.EqualError(t, err, "pc: model file: corrupt: trailing data after the checksum")
	}
}

func TestReadModelChecksum(t *testing.T) {
	t.Parallel()
	file := mfEncode(t, mfModel(t, false))
	bad := slices.Clone(file)
	bad[len(bad)-1] ^= 1
	_, err := mfRead(bad)
	require.ErrorIs(t, err, pc.ErrChecksum)
	require.ErrorContains(t, err, "pc: model file: checksum mismatch: file is corrupt")
}

func TestReadModelNonFiniteWeight(t *testing.T) {
	t.Parallel()
	file := mfEncode(t, mfModel(t, false))
	wstart := len(file) - 4 - 4*32
	for _, tc := range []struct {
		bits  uint32
		index int // flat index over all weights
		msg   string
	}{
		{0x7fc00000, 25, "W[1] weight 5 (row 1, column 2) is NaN"},
		{0xffffffff, 0, "W[0] weight 0 (row 0, column 0) is NaN"},
		{0x7f800000, 31, "W[1] weight 11 (row 3, column 2) is +Inf"},
		{0xff800000, 19, "W[0] weight 19 (row 4, column 3) is -Inf"},
	} {
		bad := slices.Clone(file)
		binary.LittleEndian.PutUint32(bad[wstart+4*tc.index:], tc.bits)
		// A damaged file is a checksum error first.
		_, err := mfRead(bad)
		require.ErrorIs(t, err, pc.ErrChecksum)
		// With a valid CRC, the weight itself is the error.
		_, err = mfRead(mfFixCRC(bad))
		require.ErrorIs(t, err, pc.ErrCorrupt)
		require.EqualError(t, err, "pc: model file: corrupt: "+tc.msg)
	}
}

// TestReadModelBadFiles covers the other errors, each in a file with a
// valid CRC, of version 1 and 2.
func TestReadModelBadFiles(t *testing.T) {
	t.Parallel()
	for _, v := range []uint32{1, 2} {
		testBadFiles(t, v)
	}
}

// mfCase is a file ReadModel must reject with an error of class (nil: must
// accept) whose message holds msg.
type mfCase struct {
	name  string
	file  []byte
	class error
	msg   string
}

func testBadFiles(t *testing.T, v uint32) {
	arch, hypr, prog, wght := mfArchOK(), mfHyprOK.section(v), mfProgOK.section(), mfWght(mfWeights())
	withHypr := func(f func(h *mfHypr)) mfSection {
		h := mfHyprOK
		f(&h)
		return h.section(v)
	}
	withProg := func(f func(p *mfProg)) mfSection {
		p := mfProgOK
		f(&p)
		return p.section()
	}
	nan := float32(math.NaN())
	cases := []mfCase{
		{"valid", mfFile(v, arch, hypr, prog, wght), nil, ""},
		{"magic", append([]byte("PCGOMODX"), mfFile(v, arch, hypr, wght)[8:]...), pc.ErrNotModel,
			`not a pcgo model file: the file starts with "PCGOMODX", not "PCGOMODL"`},
		{"text file", []byte("hello, world\n"), pc.ErrNotModel, `the file starts with "hello, w"`},
		{"short text file", []byte("PX"), pc.ErrNotModel, `the file starts with "PX"`},
		{"version 3", mfFile(3, arch, hypr, wght), pc.ErrVersion,
			"unsupported version: version 3; this build of pcgo reads versions 1 and 2"},
		{"version 0", mfFile(0), pc.ErrVersion, "version 0;"},
		{"unknown section", mfFile(v, arch, hypr, mfSection{"XTRA", nil}, wght), pc.ErrCorrupt, `unknown section "XTRA"`},
		{"binary tag", mfFile(v, mfSection{"\x00\xff\n\x01", nil}), pc.ErrCorrupt, `unknown section "\x00\xff\n\x01"`},
		{"missing ARCH", mfFile(v, hypr, wght), pc.ErrCorrupt, "missing section ARCH (found HYPR in its place)"},
		{"missing HYPR", mfFile(v, arch, wght), pc.ErrCorrupt, "missing section HYPR (found WGHT in its place)"},
		{"missing HYPR before PROG", mfFile(v, arch, prog, hypr, wght), pc.ErrCorrupt, "missing section HYPR (found PROG in its place)"},
		{"repeated ARCH", mfFile(v, arch, arch, hypr, wght), pc.ErrCorrupt, "section ARCH out of order or repeated"},
		{"HYPR after PROG", mfFile(v, arch, hypr, prog, hypr, wght), pc.ErrCorrupt, "section HYPR out of order or repeated"},
		{"repeated PROG", mfFile(v, arch, hypr, prog, prog, wght), pc.ErrCorrupt, "section PROG out of order or repeated"},
		{"section after WGHT", mfFile(v, arch, hypr, wght, prog), pc.ErrChecksum, "stored CRC-32"},
		{"no sections", mfFile(v), pc.ErrTruncated, "file ends in a section header"},
		{"one layer", mfFile(v, mfArch("relu", "generative", 5), hypr, wght), pc.ErrCorrupt, "layer count 1; it must be 2 to 64"},
		{"65 layers", mfFile(v, mfArch("relu", "generative", slices.Repeat([]uint32{1}, 65)...), hypr, wght), pc.ErrCorrupt,
			"layer count 65; it must be 2 to 64"},
		{"layer count beyond ARCH", mfFile(v, mfSection{"ARCH", mfArch("", "", 10, 1, 1, 1).payload[4:]}),
			pc.ErrCorrupt, "section ARCH is 18 bytes long, too short for its contents"},
		{"zero size", mfFile(v, mfArch("relu", "generative", 5, 0, 3), hypr, wght), pc.ErrCorrupt, "layer 1 size 0; it must be 1 to 65536"},
		{"ARCH too short", mfFile(v, mfSection{"ARCH", mfArchOK().payload[:20]}), pc.ErrCorrupt,
			"section ARCH is 20 bytes long, too short for its contents"},
		{"ARCH too long", mfFile(v, mfSection{"ARCH", append(mfArchOK().payload, 0)}), pc.ErrCorrupt,
			"section ARCH is 33 bytes long, but its contents take 32"},
		{"mode too long", mfFile(v, mfArch("relu", strings.Repeat("m", 33), 5, 4, 3)), pc.ErrCorrupt, "mode name is 33 bytes long; at most 32"},
		{"HYPR too short", mfFile(v, arch, mfSection{"HYPR", hypr.payload[:len(hypr.payload)-1]}), pc.ErrCorrupt,
			fmt.Sprintf("section HYPR is %d bytes long; it must be %d", mfHyprLen(v)-1, mfHyprLen(v))},
		{"HYPR too long", mfFile(v, arch, mfSection{"HYPR", append(slices.Clone(hypr.payload), 0)}), pc.ErrCorrupt,
			fmt.Sprintf("section HYPR is %d bytes long; it must be %d", mfHyprLen(v)+1, mfHyprLen(v))},
		{"PROG too long", mfFile(v, arch, hypr, mfSection{"PROG", append(slices.Clone(prog.payload), 0)}), pc.ErrCorrupt,
			"section PROG is 43 bytes long, but its contents take 42"},
		{"kernels too long", mfFile(v, arch, hypr, withProg(func(p *mfProg) { p.Kernels = strings.Repeat("k", 33) })), pc.ErrCorrupt,
			"kernel set name is 33 bytes long; at most 32"},
		{"WGHT too short", mfFile(v, arch, hypr, mfWght(mfWeights()[1:])), pc.ErrCorrupt,
			"WGHT section is 124 bytes long; the layer sizes [5 4 3] need 128"},
		{"WGHT too long", mfFile(v, arch, hypr, mfWght(append(mfWeights(), 0))), pc.ErrCorrupt,
			"WGHT section is 132 bytes long; the layer sizes [5 4 3] need 128"},
		{"activation", mfFile(v, mfArch("swish", "generative", 5, 4, 3), hypr, wght), pc.ErrCorrupt,
			`unknown activation "swish" (known: relu, tanh, sigmoid, linear)`},
		{"mode", mfFile(v, mfArch("relu", "adversarial", 5, 4, 3), hypr, wght), pc.ErrCorrupt,
			`unknown mode "adversarial" (known: generative, discriminative)`},
		{"tanh, discriminative", mfFile(v, mfArch("tanh", "discriminative", 5, 4, 3), hypr, wght), nil, ""},
		{"empty activation", mfFile(v, mfArch("", "generative", 5, 4, 3), hypr, wght), pc.ErrCorrupt, `unknown activation ""`},
		{"negative IR", mfFile(v, arch, withHypr(func(h *mfHypr) { h.IR = -0.5 }), wght), pc.ErrCorrupt, "IR is -0.5; must be finite and ≥ 0"},
		{"NaN LR", mfFile(v, arch, withHypr(func(h *mfHypr) { h.LR = nan }), wght), pc.ErrCorrupt, "LR is NaN; must be finite and ≥ 0"},
		{"infinite Std", mfFile(v, arch, withHypr(func(h *mfHypr) { h.Std = math.Inf(1) }), wght), pc.ErrCorrupt, "Std is +Inf"},
		{"negative Std", mfFile(v, arch, withHypr(func(h *mfHypr) { h.Std = -1e-3 }), wght), pc.ErrCorrupt, "Std is -0.001"},
		{"T 2^31", mfFile(v, arch, withHypr(func(h *mfHypr) { h.T = 1 << 31 }), wght), pc.ErrCorrupt, "T is 2147483648; must be 0 to 2147483647"},
		{"Epochs 2^32-1", mfFile(v, arch, withHypr(func(h *mfHypr) { h.Epochs = math.MaxUint32 }), wght), pc.ErrCorrupt, "Epochs is 4294967295"},
		{"Progress.Batch 2^31", mfFile(v, arch, hypr, withProg(func(p *mfProg) { p.Batch = 1 << 31 }), wght), pc.ErrCorrupt,
			"Progress.Batch is 2147483648"},
		{"kernels not printable", mfFile(v, arch, hypr, withProg(func(p *mfProg) { p.Kernels = "avx\x1b[2J" }), wght), pc.ErrCorrupt,
			`Progress.Kernels "avx\x1b[2J" is not printable ASCII`},
	}
	switch v {
	case 1:
		cases = append(cases,
			mfCase{"version 2's HYPR", mfFile(v, arch, mfHyprOK.section(2), wght), pc.ErrCorrupt,
				"section HYPR is 44 bytes long; it must be 40"})
	case 2:
		cases = append(cases,
			mfCase{"version 1's HYPR", mfFile(2, arch, mfHyprOK.section(1), wght), pc.ErrCorrupt,
				"section HYPR is 40 bytes long; it must be 44"},
			mfCase{"NaN Precision0", mfFile(2, arch, withHypr(func(h *mfHypr) { h.Precision0 = nan }), wght), pc.ErrCorrupt,
				"Precision0 is NaN; must be finite and ≥ 0"},
			mfCase{"negative Precision0", mfFile(2, arch, withHypr(func(h *mfHypr) { h.Precision0 = -0.5 }), wght), pc.ErrCorrupt,
				"Precision0 is -0.5; must be finite and ≥ 0"},
			mfCase{"infinite Precision0", mfFile(2, arch, withHypr(func(h *mfHypr) { h.Precision0 = float32(math.Inf(1)) }), wght),
				pc.ErrCorrupt, "Precision0 is +Inf; must be finite and ≥ 0"},
			mfCase{"Precision0 0", mfFile(2, arch, withHypr(func(h *mfHypr) { h.Precision0 = 0 }), wght), nil, ""},
			mfCase{"Precision0 1", mfFile(2, arch, withHypr(func(h *mfHypr) { h.Precision0 = 1 }), wght), nil, ""},
			mfCase{"Precision0 1e30", mfFile(2, arch, withHypr(func(h *mfHypr) { h.Precision0 = 1e30 }), wght), nil, ""})
	}
	for _, tc := range cases {
		tc.name = fmt.Sprintf("version %d, %s", v, tc.name)
		m, err := mfRead(tc.file)
		if tc.class == nil {
			require.NoError(t, err, tc.name)
			require.NotNil(t, m)
			continue
		}
		require.ErrorIs(t, err, tc.class, tc.name)
		require.ErrorContains(t, err, tc.msg, tc.name)
		mfRequireOneLine(t, err)
		require.Nil(t, m, tc.name)
		for _, other := range []error{pc.ErrNotModel, pc.ErrVersion, pc.ErrTruncated, pc.ErrChecksum, pc.ErrCorrupt} {
			if other != tc.class {
				require.NotErrorIs(t, err, other, tc.name)
			}
		}
	}
}

func TestReadModelReaderError(t *testing.T) {
	t.Parallel()
	file := mfEncode(t, mfModel(t, false))
	wstart := len(file) - 4 - 4*32 // the first weight
	r := io.MultiReader(bytes.NewReader(file[:wstart+6]), iotest.ErrReader(iotest.ErrTimeout))
	_, err := pc.ReadModel(r)
	require.ErrorIs(t, err, iotest.ErrTimeout)
	require.EqualError(t, err, "pc: model file: reading section WGHT, W[0]: timeout")
}

func TestWriteToRejectsInvalidModels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		modify func(m *pc.Model)
		msg    string
	}{
		{"nil net", func(m *pc.Model) { m.Net = nil }, "no network"},
		{"NaN weight", func(m *pc.Model) { m.Net.W[1].Set(2, 1, float32(math.NaN())) }, "W[1] weight 7 (row 2, column 1) is NaN"},
		{"Inf weight", func(m *pc.Model) { m.Net.W[0].Data[0] = float32(math.Inf(-1)) }, "W[0] weight 0 (row 0, column 0) is -Inf"},
		{"shape", func(m *pc.Model) { m.Net.W[1] = linalg.New(4, 2) }, "W[1] is 4×2; the layer sizes need 4×3"},
		{"short data", func(m *pc.Model) { m.Net.W[0].Data = m.Net.W[0].Data[:19] }, "W[0]: 19 values with stride 4 cannot hold 5×4"},
		{"sizes", func(m *pc.Model) { m.Net.Sizes = []int{5} }, "a network needs 2 to 64 layer sizes, got 1"},
		{"matrix count", func(m *pc.Model) { m.Net.W = m.Net.W[:1] }, "3 layer sizes but 1 weight matrices"},
		{"too many weights", func(m *pc.Model) {
			m.Net = &pc.Net{Sizes: []int{65536, 65536}, W: []linalg.Matrix{{Rows: 65536, Cols: 65536, Stride: 65536}}}
		}, "the network has 4294967296 weights; a model file holds at most 268435456"},
		{"activation", func(m *pc.Model) { m.Activation = "" }, `unknown activation "" (known: relu, tanh, sigmoid, linear)`},
		{"mode", func(m *pc.Model) { m.Mode = "Generative" }, `unknown mode "Generative" (known: generative, discriminative)`},
		{"activation of the net", func(m *pc.Model) { m.Activation = "tanh" }, `activation "tanh", but the network's is relu`},
		{"mode of the net", func(m *pc.Model) { m.Net.Mode = pc.Discriminative }, `mode "generative", but the network's is discriminative`},
		{"IR", func(m *pc.Model) { m.Config.IR = float32(math.Inf(1)) }, "IR is +Inf; must be finite and ≥ 0"},
		{"LR", func(m *pc.Model) { m.Config.LR = -1 }, "LR is -1; must be finite and ≥ 0"},
		{"Precision0 NaN", func(m *pc.Model) { m.Config.Precision0 = float32(math.NaN()) }, "Precision0 is NaN; must be finite and ≥ 0"},
		{"Precision0 < 0", func(m *pc.Model) { m.Config.Precision0 = -2 }, "Precision0 is -2; must be finite and ≥ 0"},
		{"Precision0 -Inf", func(m *pc.Model) { m.Config.Precision0 = float32(math.Inf(-1)) }, "Precision0 is -Inf; must be finite and ≥ 0"},
		{"Std", func(m *pc.Model) { m.Std = math.NaN() }, "Std is NaN; must be finite and ≥ 0"},
		{"T", func(m *pc.Model) { m.Config.T = -1 }, "T is -1; must be 0 to 2147483647"},
		{"TGen", func(m *pc.Model) { m.Config.TGen = math.MaxInt32 + 1 }, "TGen is 2147483648; must be 0 to 2147483647"},
		{"Batch", func(m *pc.Model) { m.Batch = -50 }, "Batch is -50; must be 0 to 2147483647"},
		{"Epochs", func(m *pc.Model) { m.Epochs = -1 }, "Epochs is -1; must be 0 to 2147483647"},
		{"Progress.Epoch", func(m *pc.Model) { m.Progress.Epoch = -1 }, "Progress.Epoch is -1; must be 0 to 2147483647"},
		{"Progress.Limit", func(m *pc.Model) { m.Progress.Limit = -1 }, "Progress.Limit is -1; must be 0 to 2147483647"},
		{"Progress.Threads", func(m *pc.Model) { m.Progress.Threads = math.MaxInt32 + 1 }, "Progress.Threads is 2147483648; must be 0 to 2147483647"},
		{"long kernels", func(m *pc.Model) { m.Progress.Kernels = strings.Repeat("a", 33) }, "Progress.Kernels is 33 bytes; at most 32"},
		{"kernels with newline", func(m *pc.Model) { m.Progress.Kernels = "avx2\n" }, `Progress.Kernels "avx2\n" is not printable ASCII`},
		{"long RNG", func(m *pc.Model) { m.Progress.RNG = make([]byte, 65) }, "Progress.RNG is 65 bytes; at most 64"},
	} {
		m := mfModel(t, true)
		tc.modify(m)
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		require.EqualError(t, err, "pc: model file: cannot write model: "+tc.msg, tc.name)
		require.Zero(t, n, tc.name)
		require.Zero(t, buf.Len(), tc.name)
	}
	var nilModel *pc.Model
	_, err := nilModel.WriteTo(io.Discard)
	require.EqualError(t, err, "pc: model file: cannot write model: no network")
}

func TestWriteToStridedWeights(t *testing.T) {
	t.Parallel()
	m := mfModel(t, false)
	want := mfEncode(t, m)
	// The same weights as views into wider matrices.
	for i, w := range m.Net.W {
		wide := linalg.New(w.Rows+1, w.Cols+3)
		v := wide.View(1, 2, w.Rows, w.Cols)
		linalg.Copy(v, w)
		m.Net.W[i] = v
	}
	require.Equal(t, want, mfEncode(t, m))
}

// mfFailWriter accepts limit bytes, then fails.
type mfFailWriter struct{ limit int }

var errMFWrite = errors.New("disk full")

func (w *mfFailWriter) Write(p []byte) (int, error) {
	if len(p) <= w.limit {
		w.limit -= len(p)
		return len(p), nil
	}
	n := w.limit
	w.limit = 0
	return n, errMFWrite
}

func TestWriteToWriterErrors(t *testing.T) {
	t.Parallel()
	m := mfModel(t, true)
	size := len(mfEncode(t, m))
	for limit := range size {
		n, err := m.WriteTo(&mfFailWriter{limit})
		require.ErrorIs(t, err, errMFWrite, "limit %d", limit)
		require.Equal(t, int64(limit), n)
	}
}

// mfDirEntries lists a directory's names.
func mfDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveModelReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.pcgo")
	require.NoError(t, os.WriteFile(path, []byte("old contents"), 0o600))
	require.NoError(t, os.Chmod(path, 0o640))
	m := mfModel(t, true)
	require.NoError(t, pc.SaveModel(path, m))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, mfEncode(t, m), got)
	require.Equal(t, []string{"m.pcgo"}, mfDirEntries(t, dir), "temporary files left behind")
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o640), fi.Mode().Perm(), "a replaced file keeps its permissions")
	}
}

func TestSaveModelReadOnlyDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.pcgo")
	require.NoError(t, pc.SaveModel(path, mfModel(t, false)))
	old, err := os.ReadFile(path)
	require.NoError(t, err)

	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("cannot make a directory read-only here (running as root?)")
	}

	err = pc.SaveModel(path, mfModel(t, true))
	require.ErrorIs(t, err, fs.ErrPermission)
	require.ErrorContains(t, err, "pc: model file: cannot write "+path+": ")
	mfRequireOneLine(t, err)
	now, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, now)
	require.Equal(t, []string{"m.pcgo"}, mfDirEntries(t, dir))
}

func TestSaveModelFailuresLeaveNoFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	// A directory that does not exist.
	path := filepath.Join(dir, "missing", "m.pcgo")
	err := pc.SaveModel(path, mfModel(t, false))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, path)
	require.Empty(t, mfDirEntries(t, dir))

	// A directory in the way.
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "keep"), []byte("x"), 0o644))
	err = pc.SaveModel(sub, mfModel(t, false))
	require.ErrorContains(t, err, "pc: model file: cannot write "+sub+": it is a folder")
	require.Equal(t, []string{"sub"}, mfDirEntries(t, dir))
	require.Equal(t, []string{"keep"}, mfDirEntries(t, sub))

	// An invalid model: nothing is created, the old file stays.
	path = filepath.Join(dir, "m.pcgo")
	require.NoError(t, pc.SaveModel(path, mfModel(t, false)))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	bad := mfModel(t, false)
	bad.Net.W[0].Data[3] = float32(math.NaN())
	err = pc.SaveModel(path, bad)
	require.EqualError(t, err, "pc: model file: cannot save "+path+": W[0] weight 3 (row 0, column 3) is NaN")
	now, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, now)
	require.Equal(t, []string{"m.pcgo", "sub"}, mfDirEntries(t, dir))
}

func TestLoadModelErrorsNamePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.pcgo")
	_, err := pc.LoadModel(path)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, path)
	mfRequireOneLine(t, err)

	file := mfEncode(t, mfModel(t, false))
	for _, tc := range []struct {
		file  []byte
		class error
		msg   string
	}{
		{file[:70], pc.ErrTruncated, "truncated: file ends in section HYPR"},
		{append(slices.Clone(file[:len(file)-1]), ^file[len(file)-1]), pc.ErrChecksum, "checksum mismatch: file is corrupt: stored CRC-32"},
		{[]byte("GIF89a..."), pc.ErrNotModel, "not a pcgo model file"},
	} {
		require.NoError(t, os.WriteFile(path, tc.file, 0o644))
		m, err := pc.LoadModel(path)
		require.Nil(t, m)
		require.ErrorIs(t, err, tc.class)
		require.ErrorContains(t, err, "pc: model file: "+path+": "+tc.msg)
		mfRequireOneLine(t, err)
	}
}
