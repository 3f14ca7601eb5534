package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pcgo/pcgo/pc"
)

// Checkpoints, resuming and interrupts of pcgo train.
//
// A checkpoint is a model file whose Progress section says where the run
// stands. pcgo train writes one to --model at the end of every epoch but the
// last, every --checkpoint-every batches, and when SIGINT or SIGTERM stops it
// between two batches; when the run is done it writes the finished model
// (no Progress) there instead. Every write is atomic, so the file always
// holds the last good checkpoint, and a diverging run writes nothing.
// "pcgo train --resume FILE" takes the run's settings from FILE and ends with
// the weights an uninterrupted run would have, bit for bit.

// checkpointer writes the run's checkpoints.
type checkpointer struct {
	path    string    // --model; "" writes nothing
	model   *pc.Model // the run's model, without Progress
	tr      *pc.Trainer
	limit   int
	threads int
	kernels string

	saved        bool // a checkpoint of this run is on disk
	epoch, batch int  // its position
}

// save writes a checkpoint of the trainer's current position.
func (c *checkpointer) save() error {
	if c.path == "" {
		return nil
	}
	epoch, batch, rng := c.tr.Position()
	m := *c.model
	m.Progress = &pc.Progress{Epoch: epoch, Batch: batch, Limit: c.limit, RNG: rng,
		Threads: c.threads, Kernels: c.kernels}
	if err := pc.SaveModel(c.path, &m); err != nil {
		return err
	}
	c.saved, c.epoch, c.batch = true, epoch, batch
	return nil
}

// kept describes what --model holds after a failed or diverged run.
func (c *checkpointer) kept() string {
	switch {
	case c.path == "":
		return "nothing was saved (--model is empty)"
	case c.saved:
		return fmt.Sprintf("%s keeps the last checkpoint (%s)", c.path, position(c.epoch, c.batch, 0))
	}
	if _, err := os.Stat(c.path); err != nil {
		return "nothing was saved"
	}
	return c.path + " is unchanged"
}

// position describes a trainer position (the epoch and batch to run next)
// by the last batch done, 1-based: "epoch 2, batch 118" or "epoch 2, batch
// 118 of 1200" when batches > 0.
func position(epoch, batch, batches int) string {
	if batch == 0 && epoch > 0 && batches > 0 {
		epoch, batch = epoch-1, batches
	}
	if batch == 0 && epoch > 0 {
		return fmt.Sprintf("the end of epoch %d", epoch)
	}
	if batches > 0 {
		return fmt.Sprintf("epoch %d, batch %d of %d", epoch+1, batch, batches)
	}
	return fmt.Sprintf("epoch %d, batch %d", epoch+1, batch)
}

// resumeFrom loads the file named by --resume, if any, and takes the run's
// settings from it: the architecture, hyper-parameters (--precision0
// included), seed, batch size, epochs and (for a checkpoint) --limit. A flag
// given on the command line must agree with the file, except those that do
// not change the result (--model, --png, --threads, --quiet, --data,
// --checkpoint-every) and --epochs, which may extend the run. --model
// defaults to the file resumed.
func (f *trainFlags) resumeFrom(fs *flag.FlagSet) (*pc.Model, error) {
	if f.resume == "" {
		return nil, nil
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	m, err := pc.LoadModel(f.resume)
	if err != nil {
		return nil, err
	}
	p := m.Progress
	// A stored π₀ of 0 means 1 (the seed's); it is what a version-1 file,
	// which did not store π₀, reads as.
	pi0 := m.Config.Precision0
	if pi0 == 0 {
		pi0 = 1
	}
	for _, s := range []struct {
		flag       string
		same       bool
		mine, file string
		take       func()
	}{
		{"arch", slices.Equal(f.arch, m.Net.Sizes), sizesString(f.arch), sizesString(m.Net.Sizes),
			func() { f.arch = slices.Clone(m.Net.Sizes) }},
		{"batch", f.batch == m.Batch, strconv.Itoa(f.batch), strconv.Itoa(m.Batch), func() { f.batch = m.Batch }},
		{"T", f.t == m.Config.T, strconv.Itoa(f.t), strconv.Itoa(m.Config.T), func() { f.t = m.Config.T }},
		{"ir", float32(f.ir) == m.Config.IR, fmtFloat(f.ir, 64), fmtFloat(float64(m.Config.IR), 32),
			func() { f.ir = float64(m.Config.IR) }},
		{"lr", float32(f.lr) == m.Config.LR, fmtFloat(f.lr, 64), fmtFloat(float64(m.Config.LR), 32),
			func() { f.lr = float64(m.Config.LR) }},
		{"precision0", float32(f.precision0) == pi0, fmtFloat(f.precision0, 64), fmtFloat(float64(pi0), 32),
			func() { f.precision0 = float64(pi0) }},
		{"std", f.std == m.Std, fmtFloat(f.std, 64), fmtFloat(m.Std, 64), func() { f.std = m.Std }},
		{"seed", f.seed == m.Seed, strconv.FormatUint(f.seed, 10), strconv.FormatUint(m.Seed, 10),
			func() { f.seed = m.Seed }},
		{"mode", f.mode == m.Net.Mode, f.mode.String(), m.Net.Mode.String(), func() { f.mode = m.Net.Mode }},
		{"act", f.act == m.Net.Act, f.act.String(), m.Net.Act.String(), func() { f.act = m.Net.Act }},
		{"limit", p == nil || f.limit == p.Limit, strconv.Itoa(f.limit), limitString(p),
			func() {
				if p != nil {
					f.limit = p.Limit
				}
			}},
	} {
		if set[s.flag] && !s.same {
			return nil, usageError{fmt.Sprintf("--%s %s conflicts with %s, which was trained with --%s %s; a resumed run keeps its settings (leave --%s out)",
				s.flag, s.mine, f.resume, s.flag, s.file, s.flag)}
		}
		s.take()
	}
	switch {
	case p == nil && (!set["epochs"] || f.epochs <= m.Epochs):
		return nil, usageError{fmt.Sprintf("%s is a finished model of %d epochs, not a checkpoint: to train it further, give --epochs above %d",
			f.resume, m.Epochs, m.Epochs)}
	case !set["epochs"]:
		f.epochs = m.Epochs
	case p != nil && (f.epochs < p.Epoch || f.epochs == p.Epoch && p.Batch > 0):
		return nil, usageError{fmt.Sprintf("--epochs %d is fewer than %s has done (%s)", f.epochs, f.resume, position(p.Epoch, p.Batch, 0))}
	}
	if !set["model"] {
		f.model = f.resume
	}
	return m, nil
}

func sizesString(sizes []int) string {
	s := make([]string, len(sizes))
	for i, n := range sizes {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func fmtFloat(x float64, bits int) string { return strconv.FormatFloat(x, 'g', -1, bits) }

func limitString(p *pc.Progress) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(p.Limit)
}

// resumeTrainer moves tr to where the resumed model stands: a checkpoint's
// position, or the start of the epoch after a finished model's last.
func resumeTrainer(tr *pc.Trainer, m *pc.Model, file string) error {
	epoch, batch, rng := m.Epochs, 0, []byte(nil)
	if p := m.Progress; p != nil {
		epoch, batch, rng = p.Epoch, p.Batch, p.RNG
	}
	if err := tr.Resume(epoch, batch, rng); err != nil {
		return fmt.Errorf("cannot resume %s: %w (is --data the data set it was trained on?)", file, err)
	}
	return nil
}

// resumeHint is the command line that continues an interrupted run.
func resumeHint(f *trainFlags) string {
	cmd := "pcgo train --resume " + shellQuote(f.model)
	if f.data != "" {
		cmd += " --data " + shellQuote(f.data)
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkWritable fails early, before any training, if path (the value of
// --name) cannot be written: a folder stands there, or its folder is missing
// or refuses new files.
func checkWritable(name, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("cannot write --%s %s: it is a folder", name, path)
	}
	probe, err := os.CreateTemp(filepath.Dir(path), ".pcgo-probe-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write --%s %s: %w", name, path, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// interrupted is the cancellation cause of a run stopped by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + e.sig.String() }

// interrupts turns SIGINT and SIGTERM into the cancellation of ctx. The
// first signal cancels it; later ones are only counted, so that a second
// Ctrl-C while the checkpoint is being written cannot kill the process half
// way (the write is atomic in any case). stop restores the default handling.
type interrupts struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	ch     chan os.Signal
	count  atomic.Int32
	done   chan struct{}
	wg     sync.WaitGroup
}

func notifyInterrupts() *interrupts {
	ctx, cancel := context.WithCancelCause(context.Background())
	in := &interrupts{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 4), done: make(chan struct{})}
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	in.wg.Go(func() {
		for {
			select {
			case s := <-in.ch:
				in.cancel(interrupted{s}) // cancel before counting: see raise
				in.count.Add(1)
			case <-in.done:
				return
			}
		}
	})
	return in
}

func (in *interrupts) stop() {
	signal.Stop(in.ch)
	close(in.done)
	in.wg.Wait()
	in.cancel(nil)
}

// raise sends the process a SIGINT, as Ctrl-C would, and waits until it has
// been received. It serves the test hook below.
func (in *interrupts) raise() {
	want := in.count.Load() + 1
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = p.Signal(os.Interrupt)
	}
	if err != nil { // no signals on this system: deliver it by hand
		in.ch <- os.Interrupt
	}
	for deadline := time.Now().Add(10 * time.Second); in.count.Load() < want && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// interruptAfterEnv names a hook for tests only, not a user option: with
// PCGO_TEST_INTERRUPT_AFTER=N, pcgo train sends itself SIGINT after its N-th
// batch, and a second one while it writes the checkpoint, as a user pressing
// Ctrl-C twice would. Interrupt tests use it to stop at a known batch.
const interruptAfterEnv = "PCGO_TEST_INTERRUPT_AFTER"

// interruptAfter reads the test hook: 0 when unset or invalid.
func interruptAfter() int {
	n, err := strconv.Atoi(os.Getenv(interruptAfterEnv))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// saveInterrupted writes the checkpoint of a run that a signal stopped
// between two batches, and says how to resume it.
func saveInterrupted(ck *checkpointer, in *interrupts, f *trainFlags, hook bool, errOut io.Writer) error {
	epoch, batch, _ := ck.tr.Position()
	at := position(epoch, batch, ck.tr.Batches())
	if ck.path == "" {
		fmt.Fprintf(errOut, "interrupted at %s; no checkpoint saved (--model is empty)\n", at)
		return nil
	}
	if hook {
		in.raise() // the test hook's second Ctrl-C
	}
	if err := ck.save(); err != nil {
		return fmt.Errorf("interrupted at %s, but %w; %s", at, err, ck.kept())
	}
	fmt.Fprintf(errOut, "interrupted at %s: checkpoint saved to %s; resume with: %s\n", at, ck.path, resumeHint(f))
	return nil
}
