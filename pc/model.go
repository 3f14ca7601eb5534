package pc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/pcgo/pcgo/internal/atomicfile"
	"github.com/pcgo/pcgo/linalg"
)

// Model is a network together with everything needed to use it, report on
// it, or resume its training: the contents of a model file, a trained
// network or a resumable training checkpoint (WriteTo, ReadModel, SaveModel,
// LoadModel).
//
// # File format, version 2
//
// Every number is little-endian. The file is
//
//	offset  size  field
//	0       8     magic "PCGOMODL"
//	8       4     version uint32 = 2
//	12      …     sections, each: tag [4]byte, payload length uint32, payload
//	…       4     CRC-32 (IEEE) uint32 of every preceding byte
//
// and nothing after the CRC. The sections come in this order, PROG present
// exactly when the model carries training progress:
//
//	section  payload                                               bytes
//	ARCH     layer count c uint32 (2 … MaxLayers)                  4
//	         layer sizes n_0 … n_{c−1} uint32 (1 … MaxLayerSize)   4c
//	         activation name: length uint8 (≤ 32), bytes           1+len
//	         mode name: length uint8 (≤ 32), bytes                 1+len
//	HYPR     IR float32, LR float32                                8
//	         T uint32, TGen uint32                                 8
//	         Std float64                                           8
//	         Seed uint64                                           8
//	         Batch uint32, Epochs uint32                           8
//	         Precision0 float32 (version 2 only)                   4
//	PROG     Epoch, Batch, Limit, Threads uint32                   16
//	         kernel set name: length uint8 (≤ 32), bytes           1+len
//	         RNG state: length uint8 (≤ 64), bytes                 1+len
//	WGHT     W_0 … W_{c−2}, each n_i × n_{i+1} float32 row-major   4·Σ n_i·n_{i+1}
//
// A payload's length must be exactly what its contents take; the weights may
// number at most 2^28. Counts (T, TGen, Batch, Epochs and the PROG numbers)
// are at most 2^31−1, the rates, Precision0 and Std finite and ≥ 0, the
// weights finite, strings printable ASCII, and the activation and mode names
// ones this version of pcgo knows. A reader rejects unknown sections and
// versions: a format change bumps the version.
//
// Version 2 added Config.Precision0 (π₀) at the end of HYPR, 44 bytes
// instead of version 1's 40, so that a checkpoint resumes with every
// hyper-parameter its training used. WriteTo always writes version 2;
// ReadModel reads both. A version-1 file loads with Precision0 0, which
// means π₀ = 1 (the seed's): version 1 did not record π₀, so a model
// trained with another π₀ and saved as version 1 does not say so.
//
// Config.Tol is not stored, in any version: it says when a relaxation may
// stop early, a choice of each use of the net (every inference call and
// command takes its own) rather than a property of the trained weights, and
// Tol ≤ 0, the one a model read from a file gets (0), gives the full loop's
// results. A training run with a positive Tol therefore resumes bit for bit
// only when given that Tol again.
type Model struct {
	Net *Net
	// Config holds the hyper-parameters of Learn and Generate; a file
	// stores all of them but Tol (see above).
	Config Config
	// Activation names the network's nonlinearity: "relu" (the seed's),
	// "tanh", "sigmoid" or "linear"; it must be Net.Act's name, and
	// ReadModel sets Net.Act from it.
	Activation string
	// Mode names how the net is used: "generative" (image at layer 0, label
	// on top, as the seed) or "discriminative" (label at layer 0, image on
	// top); it must be Net.Mode's name, and ReadModel sets Net.Mode from it.
	Mode   string
	Std    float64 // standard deviation of the initial weights
	Seed   uint64  // seed of the weight initialisation and of the shuffling
	Batch  int     // batch size used in training
	Epochs int     // epochs requested for the run
	// Progress is nil for a finished model and set for a resumable
	// checkpoint.
	Progress *Progress
}

// Progress is where an interrupted training run stands.
type Progress struct {
	Epoch int // 0-based epoch in progress
	Batch int // index of the next batch to run in that epoch
	Limit int // training images used (0 = all)
	// RNG is the state of the shuffling RNG (a math/rand/v2 PCG's
	// MarshalBinary) at the start of Epoch; at most 64 bytes.
	RNG []byte
	// Threads is the run's thread count (results do not depend on it, but it
	// is recorded).
	Threads int
	// Kernels is the run's kernel set name, such as "generic" or "avx2".
	Kernels string
}

// The classes of model file errors; every error ReadModel and LoadModel
// return for bad input matches one of them under errors.Is.
var (
	ErrNotModel  = errors.New(errPrefix + "not a pcgo model file")
	ErrVersion   = errors.New(errPrefix + "unsupported version")
	ErrTruncated = errors.New(errPrefix + "truncated")
	ErrChecksum  = errors.New(errPrefix + "checksum mismatch: file is corrupt")
	ErrCorrupt   = errors.New(errPrefix + "corrupt")
)

const (
	errPrefix    = "pc: model file: "
	modelMagic   = "PCGOMODL"
	modelVersion = 2 // the version WriteTo writes; ReadModel also reads 1

	maxModelWeights = 1 << 28 // weights a model file may hold (1 GiB of float32)
	maxNameLen      = 32      // activation, mode and kernel set names
	maxRNGLen       = 64      // marshalled RNG state
	maxCount        = math.MaxInt32

	hyprLen    = 44 // version 2; version 1's lacks Precision0
	hyprLenV1  = 40
	archMinLen = 4 + 4*2 + 1 + 1
	archMaxLen = 4 + 4*MaxLayers + 2*(1+maxNameLen)
	progMinLen = 16 + 1 + 1
	progMaxLen = 16 + 1 + maxNameLen + 1 + maxRNGLen

	chunkBytes = 64 << 10 // weights are read and written in pieces this large
)

// Known names, in the order error messages list them.
var (
	knownActivations = activationNames
	knownModes       = modeNames
)

// sectionOrder lists the section tags in file order, and which of them may
// be left out.
var sectionOrder = []struct {
	tag      string
	optional bool
}{{"ARCH", false}, {"HYPR", false}, {"PROG", true}, {"WGHT", false}}

// sectionIndex returns the position of tag in sectionOrder, or −1.
func sectionIndex(tag string) int {
	for i, s := range sectionOrder {
		if s.tag == tag {
			return i
		}
	}
	return -1
}

// formatError is a model file error: its class (one of the Err* values),
// details, and the file's path when known.
type formatError struct {
	kind   error
	detail string
	path   string
}

func (e *formatError) Error() string {
	var b strings.Builder
	b.WriteString(errPrefix)
	if e.path != "" {
		b.WriteString(e.path)
		b.WriteString(": ")
	}
	b.WriteString(strings.TrimPrefix(e.kind.Error(), errPrefix))
	if e.detail != "" {
		b.WriteString(": ")
		b.WriteString(e.detail)
	}
	return b.String()
}

func (e *formatError) Unwrap() error { return e.kind }

func formatErr(kind error, format string, args ...any) *formatError {
	return &formatError{kind: kind, detail: fmt.Sprintf(format, args...)}
}

// validate reports the first reason m cannot be stored in (or did not come
// from) a valid model file.
func (m *Model) validate() error {
	if m == nil || m.Net == nil {
		return errors.New("no network")
	}
	n := m.Net
	if err := CheckSizes(n.Sizes); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "pc: "))
	}
	if len(n.W) != len(n.Sizes)-1 {
		return fmt.Errorf("%d layer sizes but %d weight matrices", len(n.Sizes), len(n.W))
	}
	var total uint64
	for i, w := range n.W {
		if w.Rows != n.Sizes[i] || w.Cols != n.Sizes[i+1] {
			return fmt.Errorf("W[%d] is %d×%d; the layer sizes need %d×%d", i, w.Rows, w.Cols, n.Sizes[i], n.Sizes[i+1])
		}
		total += uint64(w.Rows) * uint64(w.Cols)
	}
	if total > maxModelWeights {
		return fmt.Errorf("the network has %d weights; a model file holds at most %d", total, maxModelWeights)
	}
	for i, w := range n.W {
		if w.Stride < w.Cols || len(w.Data) < (w.Rows-1)*w.Stride+w.Cols {
			return fmt.Errorf("W[%d]: %d values with stride %d cannot hold %d×%d", i, len(w.Data), w.Stride, w.Rows, w.Cols)
		}
	}
	if !slices.Contains(knownActivations, m.Activation) {
		return fmt.Errorf("unknown activation %q (known: %s)", m.Activation, strings.Join(knownActivations, ", "))
	}
	if !slices.Contains(knownModes, m.Mode) {
		return fmt.Errorf("unknown mode %q (known: %s)", m.Mode, strings.Join(knownModes, ", "))
	}
	if m.Activation != n.Act.String() {
		return fmt.Errorf("activation %q, but the network's is %s", m.Activation, n.Act)
	}
	if m.Mode != n.Mode.String() {
		return fmt.Errorf("mode %q, but the network's is %s", m.Mode, n.Mode)
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"IR", float64(m.Config.IR)}, {"LR", float64(m.Config.LR)}, {"Precision0", float64(m.Config.Precision0)}, {"Std", m.Std}} {
		if !(v.x >= 0) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%s is %v; must be finite and ≥ 0", v.name, v.x)
		}
	}
	type count struct {
		name string
		v    int
	}
	counts := []count{{"T", m.Config.T}, {"TGen", m.Config.TGen}, {"Batch", m.Batch}, {"Epochs", m.Epochs}}
	if p := m.Progress; p != nil {
		counts = append(counts, count{"Progress.Epoch", p.Epoch}, count{"Progress.Batch", p.Batch},
			count{"Progress.Limit", p.Limit}, count{"Progress.Threads", p.Threads})
		if err := checkName("Progress.Kernels", p.Kernels); err != nil {
			return err
		}
		if len(p.RNG) > maxRNGLen {
			return fmt.Errorf("Progress.RNG is %d bytes; at most %d", len(p.RNG), maxRNGLen)
		}
	}
	for _, c := range counts {
		if c.v < 0 || c.v > maxCount {
			return fmt.Errorf("%s is %d; must be 0 to %d", c.name, c.v, maxCount)
		}
	}
	for i, w := range n.W {
		for r := range w.Rows {
			for c, x := range w.Row(r) {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return fmt.Errorf("W[%d] weight %d (row %d, column %d) is %v", i, r*w.Cols+c, r, c, x)
				}
			}
		}
	}
	return nil
}

// checkName reports whether s is a short printable-ASCII name.
func checkName(field, s string) error {
	if len(s) > maxNameLen {
		return fmt.Errorf("%s is %d bytes; at most %d", field, len(s), maxNameLen)
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("%s %q is not printable ASCII", field, s)
		}
	}
	return nil
}

// WriteTo writes m to w in the model file format. It returns the number of
// bytes written; an invalid model (say, a NaN weight, or a name longer than
// 32 bytes) is an error before anything is written.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	if err := m.validate(); err != nil {
		return 0, fmt.Errorf(errPrefix+"cannot write model: %w", err)
	}
	n := m.Net
	b := make([]byte, 0, 12+8+archMaxLen+8+hyprLen+8+progMaxLen+8)
	b = append(b, modelMagic...)
	b = binary.LittleEndian.AppendUint32(b, modelVersion)
	b = appendSection(b, "ARCH", func(b []byte) []byte {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(n.Sizes)))
		for _, s := range n.Sizes {
			b = binary.LittleEndian.AppendUint32(b, uint32(s))
		}
		return appendString(appendString(b, m.Activation), m.Mode)
	})
	b = appendSection(b, "HYPR", func(b []byte) []byte {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.Config.IR))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.Config.LR))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Config.T))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Config.TGen))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Std))
		b = binary.LittleEndian.AppendUint64(b, m.Seed)
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Batch))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Epochs))
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(m.Config.Precision0))
	})
	if p := m.Progress; p != nil {
		b = appendSection(b, "PROG", func(b []byte) []byte {
			for _, v := range []int{p.Epoch, p.Batch, p.Limit, p.Threads} {
				b = binary.LittleEndian.AppendUint32(b, uint32(v))
			}
			b = appendString(b, p.Kernels)
			b = append(b, byte(len(p.RNG)))
			return append(b, p.RNG...)
		})
	}
	b = append(b, "WGHT"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(4*n.Params()))

	e := &encoder{w: w}
	e.write(b)
	chunk := make([]byte, 0, min(chunkBytes, 4*n.Params()))
	for _, wm := range n.W {
		for r := range wm.Rows {
			for _, x := range wm.Row(r) {
				if len(chunk) == cap(chunk) {
					e.write(chunk)
					chunk = chunk[:0]
				}
				chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(x))
			}
		}
	}
	e.write(chunk)
	e.write(binary.LittleEndian.AppendUint32(nil, e.crc))
	return e.n, e.err
}

// appendSection appends a section with the given tag and the payload body
// appends.
func appendSection(b []byte, tag string, body func([]byte) []byte) []byte {
	b = append(b, tag...)
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	b = body(b)
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// appendString appends s with a one-byte length (validate bounds it).
func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// encoder writes to w, counting bytes and updating the CRC; the first error
// sticks.
type encoder struct {
	w   io.Writer
	n   int64
	crc uint32
	err error
}

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	k, err := e.w.Write(p)
	if k < 0 || k > len(p) {
		k, err = 0, errors.New("writer reported an impossible byte count")
	}
	e.n += int64(k)
	e.crc = crc32.Update(e.crc, crc32.IEEETable, p[:k])
	if err == nil && k < len(p) {
		err = io.ErrShortWrite
	}
	e.err = err
}

// ReadModel reads a model file from r, which must end where the file does.
// It checks every length against its bounds before reading what it
// announces, allocates memory only for weights actually read, and returns a
// model only if the checksum matches and every field is valid. The errors
// match ErrNotModel, ErrVersion, ErrTruncated, ErrChecksum or ErrCorrupt
// under errors.Is, or wrap an error of r.
func ReadModel(r io.Reader) (*Model, error) {
	return (&decoder{r: r}).model()
}

// decoder reads a model file, updating the CRC of everything read.
type decoder struct {
	r       io.Reader
	crc     uint32
	version uint32 // the file's: 1 or 2
	where   string // what is being read, for errors
	// deferred is the first invalid value met: reported only if the
	// checksum matches, since a corrupt file explains any value.
	deferred error
}

// read fills p from the file.
func (d *decoder) read(p []byte) error {
	if _, err := io.ReadFull(d.r, p); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return formatErr(ErrTruncated, "file ends in %s", d.where)
		}
		return fmt.Errorf(errPrefix+"reading %s: %w", d.where, err)
	}
	d.crc = crc32.Update(d.crc, crc32.IEEETable, p)
	return nil
}

// count converts a uint32 count to an int, noting values above maxCount.
func (d *decoder) count(field string, v uint32) int {
	if v > maxCount && d.deferred == nil {
		d.deferred = fmt.Errorf("%s is %d; must be 0 to %d", field, v, maxCount)
	}
	return int(v & maxCount)
}

func (d *decoder) model() (*Model, error) {
	var head [12]byte
	d.where = "the header"
	k, err := io.ReadFull(d.r, head[:8])
	if !strings.HasPrefix(modelMagic, string(head[:k])) {
		return nil, formatErr(ErrNotModel, "the file starts with %q, not %q", head[:k], modelMagic)
	}
	if err == io.EOF {
		return nil, formatErr(ErrTruncated, "the file is empty")
	}
	if err == io.ErrUnexpectedEOF {
		return nil, formatErr(ErrTruncated, "file ends in the header (%d bytes)", k)
	}
	if err != nil {
		return nil, fmt.Errorf(errPrefix+"reading the header: %w", err)
	}
	d.crc = crc32.Update(0, crc32.IEEETable, head[:8])
	if err := d.read(head[8:12]); err != nil {
		return nil, err
	}
	d.version = binary.LittleEndian.Uint32(head[8:])
	if d.version != 1 && d.version != 2 {
		return nil, formatErr(ErrVersion, "version %d; this build of pcgo reads versions 1 and 2", d.version)
	}

	m := &Model{}
	var sizes []int
	next := 0 // index in sectionOrder of the next section allowed
	for next < len(sectionOrder) {
		d.where = "a section header"
		var sh [8]byte
		if err := d.read(sh[:]); err != nil {
			return nil, err
		}
		tag, length := string(sh[:4]), binary.LittleEndian.Uint32(sh[4:])
		at := sectionIndex(tag)
		switch {
		case at < 0:
			return nil, formatErr(ErrCorrupt, "unknown section %q", sh[:4])
		case at < next:
			return nil, formatErr(ErrCorrupt, "section %s out of order or repeated (the order is ARCH, HYPR, PROG, WGHT)", tag)
		}
		for _, s := range sectionOrder[next:at] {
			if !s.optional {
				return nil, formatErr(ErrCorrupt, "missing section %s (found %s in its place)", s.tag, tag)
			}
		}
		next = at + 1
		d.where = "section " + tag
		switch tag {
		case "ARCH":
			sizes, err = d.arch(length, m)
		case "HYPR":
			err = d.hypr(length, m)
		case "PROG":
			err = d.prog(length, m)
		case "WGHT":
			err = d.weights(length, sizes, m)
		}
		if err != nil {
			return nil, err
		}
	}

	d.where = "the checksum"
	sum := d.crc
	var tail [4]byte
	if err := d.read(tail[:]); err != nil {
		return nil, err
	}
	if stored := binary.LittleEndian.Uint32(tail[:]); stored != sum {
		return nil, formatErr(ErrChecksum, "stored CRC-32 %08x, contents give %08x", stored, sum)
	}
	switch k, err := io.ReadFull(d.r, tail[:1]); {
	case k > 0:
		return nil, formatErr(ErrCorrupt, "trailing data after the checksum")
	case err != io.EOF:
		return nil, fmt.Errorf(errPrefix+"reading past the checksum: %w", err)
	}
	if d.deferred != nil {
		return nil, &formatError{kind: ErrCorrupt, detail: d.deferred.Error()}
	}
	// Unknown names leave the zero values, and validate reports them.
	if a, err := ParseActivation(m.Activation); err == nil && m.Net != nil {
		m.Net.Act = a
	}
	if mode, err := ParseMode(m.Mode); err == nil && m.Net != nil {
		m.Net.Mode = mode
	}
	if err := m.validate(); err != nil {
		return nil, &formatError{kind: ErrCorrupt, detail: err.Error()}
	}
	return m, nil
}

// payload reads a section's payload of length bytes, lo ≤ length ≤ hi, into
// a buffer of at most hi bytes.
func (d *decoder) payload(length uint32, lo, hi int) (*fields, error) {
	if length < uint32(lo) || length > uint32(hi) {
		if lo == hi {
			return nil, formatErr(ErrCorrupt, "%s is %d bytes long; it must be %d", d.where, length, lo)
		}
		return nil, formatErr(ErrCorrupt, "%s is %d bytes long; it must be %d to %d", d.where, length, lo, hi)
	}
	p := make([]byte, length)
	if err := d.read(p); err != nil {
		return nil, err
	}
	return &fields{d: d, b: p}, nil
}

// fields parses a payload already read; the first overrun sticks.
type fields struct {
	d   *decoder
	b   []byte
	off int
	err error
}

func (f *fields) take(n int) []byte {
	if f.err != nil {
		return nil
	}
	if n > len(f.b)-f.off {
		f.err = formatErr(ErrCorrupt, "%s is %d bytes long, too short for its contents", f.d.where, len(f.b))
		return nil
	}
	p := f.b[f.off : f.off+n]
	f.off += n
	return p
}

func (f *fields) u32() uint32 {
	if p := f.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (f *fields) u64() uint64 {
	if p := f.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// bytes reads a length-prefixed byte string of at most limit bytes.
func (f *fields) bytes(field string, limit int) []byte {
	p := f.take(1)
	if p == nil {
		return nil
	}
	if int(p[0]) > limit {
		f.err = formatErr(ErrCorrupt, "%s is %d bytes long; at most %d", field, p[0], limit)
		return nil
	}
	return f.take(int(p[0]))
}

// end reports an overrun, or bytes left over.
func (f *fields) end() error {
	if f.err == nil && f.off != len(f.b) {
		f.err = formatErr(ErrCorrupt, "%s is %d bytes long, but its contents take %d", f.d.where, len(f.b), f.off)
	}
	return f.err
}

// arch reads the ARCH payload: layer sizes, activation and mode.
func (d *decoder) arch(length uint32, m *Model) ([]int, error) {
	f, err := d.payload(length, archMinLen, archMaxLen)
	if err != nil {
		return nil, err
	}
	c := f.u32()
	if f.err == nil && (c < 2 || c > MaxLayers) {
		return nil, formatErr(ErrCorrupt, "layer count %d; it must be 2 to %d", c, MaxLayers)
	}
	sizes := make([]int, 0, c)
	for i := range int(c) {
		s := f.u32()
		if f.err != nil {
			break
		}
		if s < 1 || s > MaxLayerSize {
			return nil, formatErr(ErrCorrupt, "layer %d size %d; it must be 1 to %d", i, s, MaxLayerSize)
		}
		sizes = append(sizes, int(s))
	}
	m.Activation = string(f.bytes("activation name", maxNameLen))
	m.Mode = string(f.bytes("mode name", maxNameLen))
	if err := f.end(); err != nil {
		return nil, err
	}
	if w := weightCount(sizes); w > maxModelWeights {
		return nil, formatErr(ErrCorrupt, "layer sizes %v give %d weights; at most %d", sizes, w, maxModelWeights)
	}
	return sizes, nil
}

// weightCount returns Σ n_i·n_{i+1}.
func weightCount(sizes []int) uint64 {
	var total uint64
	for i := 0; i+1 < len(sizes); i++ {
		total += uint64(sizes[i]) * uint64(sizes[i+1])
	}
	return total
}

// hypr reads the HYPR payload; a version-1 file's has no Precision0, which
// stays 0.
func (d *decoder) hypr(length uint32, m *Model) error {
	want := hyprLen
	if d.version == 1 {
		want = hyprLenV1
	}
	f, err := d.payload(length, want, want)
	if err != nil {
		return err
	}
	m.Config.IR = math.Float32frombits(f.u32())
	m.Config.LR = math.Float32frombits(f.u32())
	m.Config.T = d.count("T", f.u32())
	m.Config.TGen = d.count("TGen", f.u32())
	m.Std = math.Float64frombits(f.u64())
	m.Seed = f.u64()
	m.Batch = d.count("Batch", f.u32())
	m.Epochs = d.count("Epochs", f.u32())
	if d.version >= 2 {
		m.Config.Precision0 = math.Float32frombits(f.u32())
	}
	return f.end()
}

// prog reads the PROG payload.
func (d *decoder) prog(length uint32, m *Model) error {
	f, err := d.payload(length, progMinLen, progMaxLen)
	if err != nil {
		return err
	}
	p := &Progress{}
	p.Epoch = d.count("Progress.Epoch", f.u32())
	p.Batch = d.count("Progress.Batch", f.u32())
	p.Limit = d.count("Progress.Limit", f.u32())
	p.Threads = d.count("Progress.Threads", f.u32())
	p.Kernels = string(f.bytes("kernel set name", maxNameLen))
	if rng := f.bytes("RNG state", maxRNGLen); len(rng) > 0 {
		p.RNG = slices.Clone(rng)
	}
	m.Progress = p
	return f.end()
}

// weights reads the WGHT payload into a new Net of the given sizes. Each
// matrix grows as its values arrive, so a file that announces more than it
// holds costs memory in proportion to what it holds.
func (d *decoder) weights(length uint32, sizes []int, m *Model) error {
	if want := 4 * weightCount(sizes); uint64(length) != want {
		return formatErr(ErrCorrupt, "WGHT section is %d bytes long; the layer sizes %v need %d", length, sizes, want)
	}
	if err := CheckSizes(sizes); err != nil { // already enforced above
		return formatErr(ErrCorrupt, "%s", strings.TrimPrefix(err.Error(), "pc: "))
	}
	buf := make([]byte, min(chunkBytes, int(length)))
	n := &Net{Sizes: sizes, W: make([]linalg.Matrix, len(sizes)-1)}
	for i := range n.W {
		d.where = fmt.Sprintf("section WGHT, W[%d]", i)
		rows, cols := sizes[i], sizes[i+1]
		total := rows * cols
		data := make([]float32, 0, min(total, chunkBytes/4))
		for len(data) < total {
			k := min(total-len(data), chunkBytes/4)
			if cap(data)-len(data) < k {
				data = append(make([]float32, 0, min(total, 2*cap(data)+k)), data...)
			}
			p := buf[:4*k]
			if err := d.read(p); err != nil {
				return err
			}
			for j := 0; j < len(p); j += 4 {
				data = append(data, math.Float32frombits(binary.LittleEndian.Uint32(p[j:])))
			}
		}
		n.W[i] = linalg.FromSlice(rows, cols, data)
	}
	m.Net = n
	return nil
}

// SaveModel writes m to the file at path atomically (package
// internal/atomicfile): a temporary file in the same directory, synced, then
// renamed over path, and the directory synced. On any error before the
// rename the file at path, if any, is untouched and the temporary file
// removed. A new file gets the permissions os.Create would give it; a
// replaced file keeps its own.
func SaveModel(path string, m *Model) error {
	if err := m.validate(); err != nil {
		return fmt.Errorf(errPrefix+"cannot save %s: %w", path, err)
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, chunkBytes)
		if _, err := m.WriteTo(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf(errPrefix+"%w", err)
	}
	return nil
}

// LoadModel reads the model file at path (see ReadModel); its errors name
// the path.
func LoadModel(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf(errPrefix+"%w", err)
	}
	defer f.Close()
	m, err := ReadModel(bufio.NewReaderSize(f, chunkBytes))
	if err != nil {
		// Format errors get the path; I/O errors of f already name it.
		if fe, ok := err.(*formatError); ok {
			fe.path = path
		}
		return nil, err
	}
	return m, nil
}

var _ io.WriterTo = (*Model)(nil)
