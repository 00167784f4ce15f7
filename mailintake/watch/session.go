package watch

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/mailintake"
)

// errTimeout marks a command the server did not answer in time: the
// connection is taken for dead and closed.
var errTimeout = errors.New("watch: IMAP server did not answer in time")

// session is one IMAP connection. Run's goroutine uses it; besides, the
// client's reader goroutine signals wake, and the watchdogs close c.
type session struct {
	w           *Watcher
	c           *imapclient.Client
	wake        chan struct{} // EXISTS seen: there may be new mail
	inHand      atomic.Bool   // a message is between fetch and move
	uidValidity uint32
	canIdle     bool
	canMove     bool
	canUIDPlus  bool
}

// connect dials, protects the connection as the URL asks, and waits for the
// greeting.
func (w *Watcher) connect(ctx context.Context) (*session, error) {
	s := &session{w: w, wake: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				// Called from the client's reader: never block it.
				if d.NumMessages != nil {
					select {
					case s.wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	timeout := w.cfg.Timeout
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	tlsConfig := w.tlsConfig()
	var c *imapclient.Client
	switch w.ep.security {
	case implicitTLS:
		td := &tls.Dialer{NetDialer: dialer, Config: tlsConfig}
		conn, err := td.DialContext(dctx, "tcp", w.ep.addr)
		if err != nil {
			return nil, fmt.Errorf("watch: dial %s: %w", w.ep.addr, err)
		}
		c = imapclient.New(conn, opts)
	case startTLS:
		conn, err := dialer.DialContext(dctx, "tcp", w.ep.addr)
		if err != nil {
			return nil, fmt.Errorf("watch: dial %s: %w", w.ep.addr, err)
		}
		// NewStartTLS waits for the server without a deadline of its own.
		t := time.AfterFunc(timeout, func() { _ = conn.Close() })
		opts.TLSConfig = tlsConfig
		c, err = imapclient.NewStartTLS(conn, opts)
		if !t.Stop() && err == nil {
			_ = c.Close()
			err = errTimeout
		}
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("watch: STARTTLS with %s: %w", w.ep.addr, err)
		}
	case plain:
		conn, err := dialer.DialContext(dctx, "tcp", w.ep.addr)
		if err != nil {
			return nil, fmt.Errorf("watch: dial %s: %w", w.ep.addr, err)
		}
		c = imapclient.New(conn, opts)
	}
	s.c = c
	if err := s.do(timeout, c.WaitGreeting); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("watch: greeting of %s: %w", w.ep.addr, err)
	}
	return s, nil
}

func (w *Watcher) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if w.cfg.TLSConfig != nil {
		cfg = w.cfg.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = w.ep.host
	}
	if cfg.NextProtos == nil {
		cfg.NextProtos = []string{"imap"} // RFC 9051 §7.1 ALPN id
	}
	return cfg
}

// setup logs in, learns what the server can do, makes the folders, and
// selects the mailbox.
func (s *session) setup() error {
	ep, t := s.w.ep, s.w.cfg.Timeout
	if s.c.State() != imap.ConnStateAuthenticated { // else PREAUTH
		if err := s.do(t, func() error { return s.c.Login(ep.user, ep.password).Wait() }); err != nil {
			return fmt.Errorf("watch: login as %s: %w", ep.user, err)
		}
	}
	// Capabilities may change at login; Caps asks again when they did.
	var caps imap.CapSet
	if err := s.do(t, func() error {
		if caps = s.c.Caps(); caps == nil {
			return errors.New("watch: no CAPABILITY answer")
		}
		return nil
	}); err != nil {
		return err
	}
	s.canIdle = caps.Has(imap.CapIdle) && !s.w.cfg.NoIdle
	s.canMove = caps.Has(imap.CapMove)
	s.canUIDPlus = caps.Has(imap.CapUIDPlus)
	for _, f := range []string{s.w.cfg.Processed, s.w.cfg.Failed} {
		if err := s.ensureFolder(f); err != nil {
			return err
		}
	}
	var data *imap.SelectData
	if err := s.do(t, func() (err error) {
		data, err = s.c.Select(ep.mailbox, nil).Wait()
		return err
	}); err != nil {
		return fmt.Errorf("watch: select %s: %w", ep.mailbox, err)
	}
	if data.UIDValidity == 0 {
		// Without it, UIDs name nothing lasting (RFC 3501 §2.3.1.1).
		return fmt.Errorf("watch: select %s: the server sent no UIDVALIDITY", ep.mailbox)
	}
	s.uidValidity = data.UIDValidity
	return nil
}

// ensureFolder creates name when the server does not list it.
func (s *session) ensureFolder(name string) error {
	t := s.w.cfg.Timeout
	var list []*imap.ListData
	if err := s.do(t, func() (err error) {
		list, err = s.c.List("", name, nil).Collect()
		return err
	}); err != nil {
		return fmt.Errorf("watch: list %s: %w", name, err)
	}
	for _, l := range list {
		if sameMailbox(l.Mailbox, name) {
			return nil
		}
	}
	err := s.do(t, func() error { return s.c.Create(name, nil).Wait() })
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeAlreadyExists {
		return nil // created meanwhile by someone else
	}
	if err != nil {
		return fmt.Errorf("watch: create %s: %w", name, err)
	}
	s.w.log.Info("created folder", "folder", name)
	return nil
}

// passResult says what a pass left behind.
type passResult struct {
	// stopped: a temporary fault (the store away) cut the pass short; the
	// messages from there on wait for the next pass.
	stopped bool
	// left counts the messages that failed and stay for another attempt.
	left int
}

// fate is what became of one message in a pass.
type fate int

const (
	finished fate = iota // moved, or left alone for good reason (expunged, unfetchable)
	tryAgain             // failed below MaxAttempts: stays for another attempt
	stopPass             // a temporary fault: stop here, retry after a backoff
)

// pass processes every message in the mailbox, in UID order (so a reply
// that follows its request in the mailbox follows it in the ledger too). A
// message that fails for a permanent reason stays for its next attempt,
// and the pass goes on with the ones behind it (DESIGN "Errors": no message blocks the mailbox); a
// temporary fault stops the pass, since the next message would meet the
// same store. The error ends the session (the IMAP connection).
func (s *session) pass(ctx context.Context) (passResult, error) {
	var res passResult
	// A token left from before this pass is covered by the SEARCH below.
	select {
	case <-s.wake:
	default:
	}
	var uids imap.UIDSet
	if err := s.do(s.w.cfg.Timeout, func() error {
		// \Deleted messages are on their way out: a COPY fallback that
		// stopped before its EXPUNGE already put them in their folder.
		data, err := s.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
		if err == nil {
			uids, _ = data.All.(imap.UIDSet)
		}
		return err
	}); err != nil {
		return res, fmt.Errorf("watch: search %s: %w", s.w.ep.mailbox, err)
	}
	// RFC 3501 does not promise the results in order.
	slices.SortFunc(uids, func(a, b imap.UIDRange) int { return cmp.Compare(a.Start, b.Start) })
	for _, r := range uids {
		if r.Start == 0 || r.Stop == 0 || r.Stop < r.Start {
			continue // not a static range: a server bug, nothing to fetch
		}
		// Counting down the range, not up to Stop: Stop may be the
		// largest UID, where uid++ would wrap.
		for uid, left := r.Start, uint64(r.Stop-r.Start)+1; left > 0; uid, left = uid+1, left-1 {
			if ctx.Err() != nil {
				return res, nil
			}
			f, err := s.handle(ctx, uid)
			if err != nil {
				return res, err
			}
			switch f {
			case tryAgain:
				res.left++
			case stopPass:
				res.stopped = true
				return res, nil
			}
		}
	}
	return res, nil
}

// handle fetches one message, counts the attempt, ingests it, and moves
// it: to Processed once its Ingest returned an Outcome, to Failed once it
// failed MaxAttempts times. The error ends the session.
func (s *session) handle(ctx context.Context, uid imap.UID) (fate, error) {
	w := s.w
	src := mailintake.Source{Mailbox: w.ep.mailbox, UIDValidity: s.uidValidity, UID: uint32(uid)}
	key := AttemptKey(src)
	log := w.log.With("uid", src.UID, "uidvalidity", src.UIDValidity)

	s.inHand.Store(true)
	defer s.inHand.Store(false)
	m, err := s.fetch(uid)
	var ierr *imap.Error
	if errors.As(err, &ierr) {
		// The server refuses this one message (a damaged file): leave it
		// where it is, untouched, and go on with the others.
		log.Error("server cannot fetch the message; leaving it in the mailbox", "err", err)
		return finished, nil
	}
	if err != nil {
		return finished, fmt.Errorf("watch: fetch uid %d: %w", uid, err)
	}
	if m == nil {
		return finished, nil // expunged meanwhile by another client
	}
	w.stats.Seen()
	if int64(len(m.raw)) > w.cfg.MaxMessageBytes {
		log.Warn("message larger than MaxMessageBytes; the pipeline sees its first bytes only", "size", m.size)
	}

	sctx, cancel := w.storeContext(ctx)
	defer cancel()
	// Counted before the attempt: a message that kills the process is
	// recognised after the restart (DESIGN "Errors").
	n, err := w.startAttempt(sctx, key)
	if err != nil {
		log.Warn("attempt not counted: the store is unavailable; the message waits", "err", err)
		return stopPass, nil
	}
	if n > w.cfg.MaxAttempts {
		// Its earlier attempts never ended (the process died in them), or
		// its move to Failed did not finish: it is not processed again.
		return s.fail(ctx, uid, src, key, subjectOf(m.raw), fmt.Errorf("%w (%d attempts)", errGaveUp, n-1), n-1)
	}

	out, err := w.ingest(ctx, m.raw, src)
	switch {
	case err == nil:
	case fault.IsTemporary(err):
		w.forgetAttempt(sctx, key)
		log.Warn("ingest failed for a temporary reason; the message waits, its attempt not counted", "err", err)
		return stopPass, nil
	case n >= w.cfg.MaxAttempts:
		return s.fail(ctx, uid, src, key, subjectOf(m.raw), err, n)
	default:
		log.Warn("ingest failed; the message stays for another attempt", "attempt", n, "of", w.cfg.MaxAttempts, "err", err)
		return tryAgain, nil
	}

	// Done with before the move: a move the server refuses leaves the
	// message for the next pass, where it is a duplicate, not a failure.
	w.endAttempts(sctx, key)
	// \Seen, so that the desk's own mail client shows it handled; MOVE and
	// COPY keep the flags.
	if err := s.markSeen(uid); err != nil {
		if !errors.As(err, &ierr) {
			return finished, err
		}
		log.Warn("cannot mark the message \\Seen", "err", err)
	}
	if err := s.move(uid, w.cfg.Processed); err != nil {
		if errors.As(err, &ierr) {
			// The server refuses the move (quota?): the message stays and
			// comes back as a duplicate next pass; the others go on.
			log.Error("cannot move the message to its folder", "folder", w.cfg.Processed, "err", err)
			return finished, nil
		}
		return finished, err
	}
	w.stats.Done(out.Status)
	if !m.date.IsZero() {
		w.stats.Lag(time.Since(m.date))
	}
	log.Info("message processed", "status", string(out.Status), "request_id", out.RequestID, "tenant", out.Tenant)
	return finished, nil
}

// fail moves a message given up on to Failed, then tells the desk. A move
// the server refuses leaves it for the next pass, which tries again.
func (s *session) fail(ctx context.Context, uid imap.UID, src mailintake.Source, key, subject string, cause error, attempts int) (fate, error) {
	w := s.w
	if err := s.move(uid, w.cfg.Failed); err != nil {
		var ierr *imap.Error
		if errors.As(err, &ierr) {
			w.log.Error("cannot move the message to its folder", "uid", uid, "folder", w.cfg.Failed, "err", err)
			return finished, nil
		}
		return finished, err
	}
	sctx, cancel := w.storeContext(ctx)
	defer cancel()
	w.endAttempts(sctx, key)
	w.stats.Failed()
	w.log.Error("message moved to Failed", "uid", uid, "uidvalidity", src.UIDValidity, "attempts", attempts, "err", cause)
	w.notifyFailed(ctx, src, subject, cause)
	return finished, nil
}

// markSeen sets \Seen on one message (UID STORE +FLAGS.SILENT, RFC 3501
// §6.4.6).
func (s *session) markSeen(uid imap.UID) error {
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
	if err := s.do(s.w.cfg.Timeout, func() error { return s.c.Store(imap.UIDSetNum(uid), store, nil).Close() }); err != nil {
		return fmt.Errorf("watch: mark uid %d seen: %w", uid, err)
	}
	return nil
}

// fetched is one message as fetched.
type fetched struct {
	raw  []byte
	size int64 // RFC822.SIZE, the size the server reports
	date time.Time
}

// fetch reads one message with UID FETCH (UID INTERNALDATE RFC822.SIZE
// BODY.PEEK[]): PEEK leaves \Seen alone, so a human looking at the mailbox
// sees what the watcher has not finished. ENVELOPE is not asked for: the
// client's strict parser of it would turn one server quirk into a mailbox
// stuck on that message. It returns nil when the message is gone.
func (s *session) fetch(uid imap.UID) (*fetched, error) {
	limit := s.w.cfg.MaxMessageBytes
	var out *fetched
	err := s.do(5*s.w.cfg.Timeout, func() error {
		cmd := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
			UID: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}},
		})
		defer func() { _ = cmd.Close() }()
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			var (
				m       fetched
				gotUID  imap.UID
				gotBody bool
			)
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch item := item.(type) {
				case imapclient.FetchItemDataUID:
					gotUID = item.UID
				case imapclient.FetchItemDataInternalDate:
					m.date = item.Time
				case imapclient.FetchItemDataRFC822Size:
					m.size = item.Size
				case imapclient.FetchItemDataBodySection:
					if item.Literal == nil {
						continue
					}
					// One byte past the bound, so the pipeline sees the
					// message is too large rather than a cut one.
					b, err := io.ReadAll(io.LimitReader(item.Literal, limit+1))
					if err != nil {
						return err
					}
					m.raw, gotBody = b, true
				}
			}
			if gotUID == uid && gotBody {
				out = &m
			}
		}
		return cmd.Close()
	})
	return out, err
}

// move puts one message in folder: UID MOVE (RFC 6851), or, without MOVE,
// UID COPY, then UID STORE \Deleted, then UID EXPUNGE (RFC 4315) or
// EXPUNGE, each waited for in turn. go-imap's own fallback sends the three
// at once, which deletes the message even when the COPY failed.
func (s *session) move(uid imap.UID, folder string) error {
	set := imap.UIDSetNum(uid)
	t := s.w.cfg.Timeout
	try := func() error {
		if s.canMove {
			return s.do(t, func() error { _, err := s.c.Move(set, folder).Wait(); return err })
		}
		if err := s.do(t, func() error { _, err := s.c.Copy(set, folder).Wait(); return err }); err != nil {
			return err
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
		if err := s.do(t, func() error { return s.c.Store(set, store, nil).Close() }); err != nil {
			return err
		}
		return s.do(t, func() error {
			if s.canUIDPlus {
				return s.c.UIDExpunge(set).Close()
			}
			// Also removes other \Deleted messages of the mailbox: the
			// intake mailbox is the desk's own.
			return s.c.Expunge().Close()
		})
	}
	err := try()
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeTryCreate {
		// The folder was deleted since the session started.
		if err = s.ensureFolder(folder); err == nil {
			err = try()
		}
	}
	if err != nil {
		return fmt.Errorf("watch: move uid %d to %s: %w", uid, folder, err)
	}
	return nil
}

// idle waits for new mail with IDLE (RFC 2177). It returns nil when mail
// may have arrived, when retryIn (if not 0) has passed, or when ctx ended.
// Every Liveness (and before IdleRestart) it stops IDLE, proves the
// connection alive with NOOP, and idles again.
func (s *session) idle(ctx context.Context, retryIn time.Duration) error {
	cfg := s.w.cfg
	every := min(cfg.Liveness, cfg.IdleRestart)
	var retryAt time.Time
	if retryIn > 0 {
		retryAt = time.Now().Add(retryIn)
	}
	for {
		select {
		case <-s.wake:
			return nil
		default:
		}
		wait, retryDue := every, false
		if !retryAt.IsZero() {
			if left := time.Until(retryAt); left <= wait {
				wait, retryDue = max(left, 0), true
			}
		}
		var cmd *imapclient.IdleCommand
		if err := s.do(cfg.Timeout, func() (err error) {
			cmd, err = s.c.Idle()
			return err
		}); err != nil {
			var ierr *imap.Error
			if errors.As(err, &ierr) {
				// Advertised but refused: poll for the rest of the session.
				s.w.log.Warn("server refused IDLE; polling instead", "err", err)
				s.canIdle = false
				return nil
			}
			return fmt.Errorf("watch: IDLE: %w", err)
		}
		s.w.log.Debug("idling")
		t := time.NewTimer(wait)
		tick := false
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-t.C:
			tick = true
		case <-s.c.Closed():
			t.Stop()
			return errors.New("watch: connection closed during IDLE")
		}
		t.Stop()
		if err := s.do(cfg.Timeout, func() error {
			if err := cmd.Close(); err != nil {
				return err
			}
			return cmd.Wait()
		}); err != nil {
			return fmt.Errorf("watch: end IDLE: %w", err)
		}
		if !tick || retryDue {
			return nil // the pass that follows proves the connection alive
		}
		// A dead peer does not answer: the watchdog closes the connection
		// and the session reconnects.
		if err := s.do(cfg.Timeout, func() error { return s.c.Noop().Wait() }); err != nil {
			return fmt.Errorf("watch: liveness NOOP: %w", err)
		}
	}
}

// poll waits PollInterval (or retryIn, if not 0 and sooner), then NOOPs so
// the server reports new mail (and the connection proves alive).
func (s *session) poll(ctx context.Context, retryIn time.Duration) error {
	wait := s.w.cfg.PollInterval
	if retryIn > 0 {
		wait = min(wait, retryIn)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-s.wake:
	case <-t.C:
	case <-s.c.Closed():
		return errors.New("watch: connection closed while polling")
	}
	if err := s.do(s.w.cfg.Timeout, func() error { return s.c.Noop().Wait() }); err != nil {
		return fmt.Errorf("watch: NOOP: %w", err)
	}
	return nil
}

// logout says goodbye politely, briefly: the process is stopping.
func (s *session) logout() {
	_ = s.do(min(s.w.cfg.Timeout, 5*time.Second), func() error { return s.c.Logout().Wait() })
}

func (s *session) close() { _ = s.c.Close() }

// do runs one exchange with the server under a watchdog. go-imap bounds
// writes and the reading of a response once it started, but not the wait
// for a response to start: a peer that vanished without a FIN or RST would
// be waited for forever. The watchdog closes the connection instead, which
// fails every command in flight.
func (s *session) do(timeout time.Duration, f func() error) error {
	var fired atomic.Bool
	t := time.AfterFunc(timeout, func() {
		fired.Store(true)
		_ = s.c.Close()
	})
	err := f()
	t.Stop()
	if fired.Load() {
		return fmt.Errorf("%w (%s): %v", errTimeout, timeout, err)
	}
	return err
}

// subjectOf reads the decoded Subject of a raw message, for the desk's
// note about a Failed one; "" when the header cannot be read.
func subjectOf(raw []byte) string {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	dec := &mime.WordDecoder{CharsetReader: charset.Reader}
	subject := msg.Header.Get("Subject")
	if d, err := dec.DecodeHeader(subject); err == nil {
		subject = d
	}
	// A note in Slack, not the message: keep it short.
	const maxRunes = 200
	if r := []rune(subject); len(r) > maxRunes {
		subject = string(r[:maxRunes]) + "…"
	}
	return strings.ToValidUTF8(subject, "\uFFFD")
}
