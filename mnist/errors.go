package mnist

import (
	"errors"
	"io/fs"
)

// Sentinel errors, matched with errors.Is against the errors this package
// returns.
var (
	// ErrFormat is the cause of every error about malformed input: bad
	// magic, bad dimensions, wrong payload length, corrupt or truncated
	// gzip, image and label counts that differ.
	ErrFormat = errors.New("mnist: malformed IDX data")
	// ErrNotFound is the cause of the error LoadSet and Load return when
	// the data files are not in the directory.
	ErrNotFound = errors.New("mnist: MNIST files not found")
	// ErrLabel is the cause of the error returned for a label that is not
	// below the number of classes.
	ErrLabel = errors.New("mnist: label out of range")
)

// Error is the type of the errors this package returns. Its message is one
// line: "mnist: " followed by the file's name, if known, and Msg.
type Error struct {
	File string // base name of the file read; "" for a plain io.Reader
	Msg  string // what went wrong
	Err  error  // ErrFormat, ErrNotFound, ErrLabel, an I/O error, or nil
}

// Error returns the one-line message.
func (e *Error) Error() string {
	if e.File == "" {
		return "mnist: " + e.Msg
	}
	return "mnist: " + e.File + ": " + e.Msg
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// formatError returns an *Error caused by ErrFormat.
func formatError(msg string) error {
	return &Error{Msg: msg, Err: ErrFormat}
}

// withFile returns err with its File set to name, wrapping err in an *Error
// if it is not one.
func withFile(err error, name string) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.File = name
		return &c
	}
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Op + ": " + pe.Err.Error() // the path is already named
	}
	return &Error{File: name, Msg: msg, Err: err}
}
