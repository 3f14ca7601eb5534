// Command pcgo trains supervised predictive-coding networks on MNIST (or any
// data set in its IDX files), makes them dream digits, classifies images and
// completes them by inference.
//
//	pcgo train      train on MNIST, save the model, write a picture of generated digits
//	pcgo generate   generate the ten digits from a saved model (PNG and/or CSV)
//	pcgo eval       classify the test images by inference: accuracy, confusion matrix
//	pcgo complete   fill in the missing half of test images (inpainting)
//	pcgo info       Go version, platform, CPU features and the kernel set in use
//	pcgo bench      this CPU's FMA peak, and GEMM, Learn and Generate against it
//
// Run "pcgo <command> -h" for a command's flags. Every error is one line on
// standard error and a non-zero exit status (2 for a bad command line).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one pcgo sub-command.
type command struct {
	name, summary string
	run           func(args []string, out, errOut io.Writer) error
}

var commands = []command{
	{"train", "train a network on MNIST, save it and write generated digits", runTrain},
	{"generate", "generate the ten digits from a saved model", runGenerate},
	{"eval", "classify the test images with a saved model: accuracy and confusion matrix", runEval},
	{"complete", "fill in the missing half of test images with a saved model", runComplete},
	{"info", "show the platform, CPU features and the kernel set in use", runInfo},
	{"bench", "measure the FMA peak, and GEMM, Learn and Generate as GFLOP/s and % of it", runBench},
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one pcgo command line and returns the exit status.
func run(args []string, out, errOut io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(errOut, "pcgo: internal error: %v (please report it)\n", r)
			status = 3
		}
	}()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], out, errOut)
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(errOut, "pcgo %s: %v (see pcgo %s -h)\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(errOut, "pcgo %s: %v\n", c.name, oneLine(err))
			return 1
		}
	}
	fmt.Fprintf(errOut, "pcgo: unknown command %q (want %s)\n", args[0], commandNames())
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pcgo: predictive-coding networks on the CPU, in pure Go")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: pcgo <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "pcgo <command> -h" for a command's flags.`)
}

func commandNames() string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// oneLine keeps an error message to one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}

// flagSet is a command's flags and the help it prints on -h.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// newFlags returns a flag set that reports errors instead of printing them.
func newFlags(name, synopsis string, out io.Writer) flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	help := func() {
		fmt.Fprintf(out, "usage: pcgo %s %s\n\nflags:\n", name, synopsis)
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return flagSet{fs, help}
}

// parse parses args, printing help on -h, turning flag errors into usage
// errors and rejecting stray positional arguments.
func (fs flagSet) parse(args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
