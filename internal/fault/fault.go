// Package fault says whether an error is temporary: whether doing the same
// thing again later can succeed (DESIGN "Errors"). It is the one way the
// project classifies faults, after maddy's exterrors.WithTemporary: an
// error carries the answer, and callers read it with errors.As through any
// amount of %w wrapping, never by matching error text.
//
// A refusal is not a fault: the rules answer with a result, not an error.
package fault

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// Error marks an error as temporary or not.
type Error struct {
	Err       error
	Temporary bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Temporary marks err as temporary: the same call may succeed later (a
// server down, a timeout, contention). It returns nil for nil.
func Temporary(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Temporary: true}
}

// Permanent marks err as permanent: trying again cannot help (unreadable
// data, a bug, a refused configuration). It returns nil for nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Temporary: false}
}

// IsTemporary reports whether err is temporary. The outermost mark wins; an
// unmarked error is temporary when it is a network error, a connection
// closed or refused, or a deadline: the faults of a server that is away.
// Anything else is permanent.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Temporary
	}
	return Transient(err)
}

// Transient reports whether an unmarked error is of the kind a server that
// is away, slow or restarting gives.
func Transient(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}
