package testdovecot_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/licensedesk/licensedesk/internal/testdovecot"
)

const msg = "From: alice@contoso.com\r\nTo: desk@example.com\r\nSubject: hello\r\nMessage-ID: <1@contoso.com>\r\n\r\nadd 2 E3\r\n"

func TestAppendedMailIsInTheMailbox(t *testing.T) {
	t.Parallel()
	s := testdovecot.Start(t)
	s.Append(t, "INBOX", []byte(msg))
	s.Append(t, "Archive/2024", []byte(msg)) // created on the way

	c := s.Client(t)
	for _, mbox := range []string{"INBOX", "Archive/2024"} {
		if got := bodies(t, c, mbox); len(got) != 1 || got[0] != msg {
			t.Errorf("%s holds %q, want the appended message", mbox, got)
		}
	}
}

func TestRestartKeepsThePortAndTheMail(t *testing.T) {
	t.Parallel()
	s := testdovecot.Start(t)
	addr := s.Addr
	s.Append(t, "INBOX", []byte(msg))

	s.Restart(t)
	if s.Addr != addr {
		t.Fatalf("address changed from %s to %s", addr, s.Addr)
	}
	s.Append(t, "INBOX", []byte(msg))
	if got := bodies(t, s.Client(t), "INBOX"); len(got) != 2 {
		t.Errorf("INBOX holds %d messages after the restart, want 2", len(got))
	}
}

func TestStoppedServerRefusesConnections(t *testing.T) {
	t.Parallel()
	s := testdovecot.Start(t)
	s.Stop()
	if c, err := imapclient.DialInsecure(s.Addr, nil); err == nil {
		err = c.Login(s.User, s.Password).Wait()
		_ = c.Close()
		if err == nil {
			t.Fatal("a login succeeded after Stop")
		}
	}
	s.Stop() // twice is harmless
}

func TestURLCarriesTheEscapedCredentialsAndMailbox(t *testing.T) {
	t.Parallel()
	s := testdovecot.Start(t)
	u, err := url.Parse(s.URL("INBOX"))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.Scheme != "imap" || u.Host != s.Addr || u.User.Username() != s.User || pw != s.Password || u.Path != "/INBOX" {
		t.Errorf("URL %s does not name %s as %s/%s", s.URL("INBOX"), s.Addr, s.User, s.Password)
	}
	if !strings.ContainsAny(s.Password, "@/%") {
		t.Errorf("the test password %q should need escaping in a URL", s.Password)
	}
}

func bodies(t *testing.T, c *imapclient.Client, mailbox string) []string {
	t.Helper()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		// An empty mailbox answers "1:*" with nothing or with an error,
		// depending on the server.
		if c.Mailbox().NumMessages == 0 {
			return nil
		}
		t.Fatalf("fetch %s: %v", mailbox, err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.FindBodySection(section)))
	}
	return out
}
