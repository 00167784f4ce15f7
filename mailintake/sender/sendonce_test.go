package sender

import (
	"context"
	"errors"

	"github.com/licensedesk/licensedesk/ledger"
)

// SendOnce composes an entry and sends it on a connection of its own,
// without touching the outbox: the transport tests drive one delivery. It returns ErrNoRecipient for
// an entry that names nobody, and an *Error (see Temporary) when the
// delivery failed.
func (s *Sender) SendOnce(ctx context.Context, entry ledger.OutboxEntry) error {
	if entry.Origin.From == "" {
		return ErrNoRecipient
	}
	r, err := s.compose(entry)
	if err != nil {
		return err
	}
	if err := checkReply(r); err != nil {
		return err
	}
	ss, err := s.dial(ctx, s.deadlineFor(ctx))
	if err != nil {
		return err
	}
	if err := transact(ss, r); err != nil {
		ss.close(false)
		var e *Error
		if errors.As(err, &e) && e.kind == permanent {
			s.stats.Failed()
		}
		return err
	}
	ss.close(true)
	s.stats.Sent()
	return nil
}

// Temporary reports whether err is a delivery failure that a retry can
// cure. Errors that are not delivery failures count as temporary: a fault
// of ours must never drop a reply.
func Temporary(err error) bool {
	if errors.Is(err, ErrNoRecipient) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return err != nil
}
