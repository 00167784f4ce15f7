package fault_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/licensedesk/licensedesk/internal/fault"
)

func TestIsTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil is no fault", nil, false},
		{"a plain error is permanent", errors.New("bad data"), false},
		{"a marked temporary error is temporary", fault.Temporary(errors.New("busy")), true},
		{"a marked permanent network error is permanent", fault.Permanent(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), false},
		{"a wrapped temporary mark is seen through %w", fmt.Errorf("intake: %w", fault.Temporary(errors.New("busy"))), true},
		{"the outermost mark wins", fault.Permanent(fmt.Errorf("x: %w", fault.Temporary(errors.New("busy")))), false},
		{"a refused connection is temporary", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"a closed connection is temporary", fmt.Errorf("read: %w", io.EOF), true},
		{"a deadline is temporary", context.DeadlineExceeded, true},
		{"a network error is temporary", &net.OpError{Op: "read", Err: errors.New("reset")}, true},
		{"an unreadable JSON value is permanent", json.Unmarshal([]byte("{"), &struct{}{}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fault.IsTemporary(tt.err); got != tt.want {
				t.Errorf("IsTemporary(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestMarksKeepTheErrorChain(t *testing.T) {
	base := errors.New("base")
	err := fault.Temporary(fmt.Errorf("ctx: %w", base))
	if !errors.Is(err, base) || err.Error() != "ctx: base" {
		t.Errorf("mark hides its error: %v", err)
	}
	if fault.Temporary(nil) != nil || fault.Permanent(nil) != nil {
		t.Error("marking nil must stay nil")
	}
}
