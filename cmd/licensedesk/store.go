package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/licensedesk/licensedesk/ledger"
)

// openEmbedded starts the in-process store used when no Redis is
// configured, and says loudly that it is not durable: everything is lost
// when the process ends.
func openEmbedded(ctx context.Context, log *slog.Logger, stderr io.Writer) (*ledger.Ledger, error) {
	l, err := ledger.OpenEmbedded(ctx, ledger.SystemClock{}, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, strings.Repeat("!", 78))
	fmt.Fprintln(stderr, "!! WARNING: LICENSEDESK_REDIS_URL is not set: using an EMBEDDED IN-MEMORY store.")
	fmt.Fprintln(stderr, "!! It is NOT DURABLE: every licence change is LOST when this process stops.")
	fmt.Fprintln(stderr, "!! Set LICENSEDESK_REDIS_URL=redis://host:6379/0 for production.")
	fmt.Fprintln(stderr, strings.Repeat("!", 78))
	log.Warn("embedded store: not durable", "addr", l.EmbeddedAddr())
	return l, nil
}
