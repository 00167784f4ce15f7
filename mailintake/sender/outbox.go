package sender

import (
	"context"
	"errors"

	"github.com/licensedesk/licensedesk/ledger"
)

// batch is how many entries one read or reclaim takes from an outbox.
const batch = 100

// maxItems bounds the entries a sender holds at once; the rest stays
// unread in the outbox, where the next scan finds it. During a long SMTP
// outage memory stays flat however many replies queue up.
const maxItems = 1000

// readNew takes the entries of an outbox never handed to any sender.
func (s *Sender) readNew(ctx context.Context, tenant string) error {
	for len(s.items) < maxItems {
		ds, err := s.ob.Next(ctx, tenant, batch)
		if err != nil {
			return err
		}
		s.take(ctx, ds)
		if len(ds) < batch {
			return nil
		}
	}
	return nil
}

// readOwn takes this consumer's own held entries that it does not hold in
// memory: a restart under the same consumer name finds its work again.
func (s *Sender) readOwn(ctx context.Context, tenant string) error {
	after := ""
	for len(s.items) < maxItems {
		ds, err := s.ob.Pending(ctx, tenant, after, batch)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		s.take(ctx, ds)
		after = ds[len(ds)-1].ID
	}
	return nil
}

// claim takes the entries that other senders held longer than ClaimIdle
// (they died, or lost the store that long), and those abandoned by a
// one-shot sender (`mail ingest`).
func (s *Sender) claim(ctx context.Context, tenant string) error {
	cursor := ""
	for len(s.items) < maxItems {
		ds, next, err := s.ob.Reclaim(ctx, tenant, cursor, batch)
		if err != nil {
			return err
		}
		s.take(ctx, ds)
		if next == "" {
			return nil
		}
		cursor = next
	}
	return nil
}

// take turns handed-out entries into work. An entry that cannot be read,
// or names nobody, is settled at once.
func (s *Sender) take(ctx context.Context, ds []ledger.Delivery) {
	for _, d := range ds {
		key := itemKey(d)
		if _, held := s.byKey[key]; held {
			continue
		}
		it := &item{d: d}
		if s.settleUnsendable(ctx, it) {
			continue
		}
		s.seq++
		it.seq = s.seq
		s.items = append(s.items, it)
		s.byKey[key] = it
	}
}

// settleUnsendable settles an entry that needs no attempt, and reports
// whether it was one: an entry deleted while held (nothing to send), an
// unreadable one (a poison message: no retry can make it readable), or one
// that names nobody to answer. When the store refuses, the entry stays
// held by this consumer and the next scan settles it.
func (s *Sender) settleUnsendable(ctx context.Context, it *item) bool {
	d := it.d
	var why string
	switch {
	case errors.Is(d.Err, ledger.ErrEntryGone):
		why = "gone"
	case d.Err != nil:
		s.log.Error("outbox entry unreadable; dropped", "outbox", d.Tenant, "entry", d.ID, "req", d.Request, "err", d.Err)
		s.stats.Failed()
		why = "unreadable"
	case d.Entry.Origin.From == "":
		s.log.Info("outbox entry has no recipient; acknowledged without sending", "outbox", d.Tenant,
			"entry", d.ID, "request", d.Entry.RequestID)
		why = "no recipient"
	default:
		return false
	}
	if err := s.ob.Fail(ctx, d); err != nil {
		s.log.Warn("outbox entry not settled; the next scan retries", "outbox", d.Tenant, "entry", d.ID, "why", why, "err", err)
	}
	return true
}

// itemKey names an entry among the outboxes.
func itemKey(d ledger.Delivery) string { return d.Tenant + "\x00" + d.ID }
