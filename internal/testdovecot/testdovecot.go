// Package testdovecot starts a real Dovecot IMAP server for tests, on a free
// loopback port with a throw-away configuration (passwd-file user, maildir,
// plaintext login on loopback, no TLS), and stops it when the test ends.
//
// Every server has its own directory (configuration, base_dir, state_dir,
// log, maildir) and its own port, so parallel tests and parallel packages
// never meet, and a system Dovecot, if any, is never touched.
package testdovecot

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// The test account. The password holds characters that must be escaped in
// a URL, so every URL a test builds proves the decoding.
const (
	testUser     = "desk"
	testPassword = "p@ss/w%rd+1"
)

const (
	startTimeout = 15 * time.Second
	stopTimeout  = 10 * time.Second
	startRetries = 5
)

// Server is a running Dovecot.
type Server struct {
	Addr     string // 127.0.0.1:port
	User     string
	Password string

	bin      string
	dir      string
	conf     string
	accounts users

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start runs a Dovecot for the test. It fails the test, with the install
// hint, when Dovecot is not on the machine: a mail test that silently skips
// would prove nothing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := findDovecot()
	if err != nil {
		tb.Fatalf("testdovecot: %v (apt-get install -y dovecot-imapd, or run .ci/run)", err)
	}
	s, err := prepare(bin)
	if err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}
	// Cleanups run last-registered first: stop the server, then remove its
	// directory.
	tb.Cleanup(func() { _ = os.RemoveAll(s.dir) })
	tb.Cleanup(s.Stop)

	var lastErr error
	for range startRetries {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("testdovecot: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = s.launch(port); lastErr == nil {
			return s
		}
		// Another process may have taken the port between freePort and
		// Dovecot's bind; anything else will fail again the same way.
		if !errors.Is(lastErr, errPortTaken) {
			break
		}
	}
	tb.Fatalf("testdovecot: %v", lastErr)
	return nil
}

// URL is the LICENSEDESK_IMAP_URL of the server for mailbox, with the
// credentials escaped: imap://desk:p%40ss%2Fw%25rd+1@127.0.0.1:port/INBOX.
func (s *Server) URL(mailbox string) string {
	u := url.URL{Scheme: "imap", User: url.UserPassword(s.User, s.Password), Host: s.Addr, Path: "/" + mailbox}
	return u.String()
}

// Stop shuts the server down (SIGTERM, then SIGKILL of its process group
// after a grace period) and waits for it. Stopping a stopped server does
// nothing. The maildir is kept, so Restart finds the same mail.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	terminate(cmd)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		kill(cmd)
		<-exited
	}
	// The master is gone; its children notice and leave, but a fast restart
	// must not find one still holding the port.
	kill(cmd)
}

// Restart stops the server and starts it again on the same port with the
// same maildir, as an administrator restarting the IMAP service would.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	_, portStr, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(portStr)
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.launch(port)
		if err == nil {
			return
		}
		// The port is ours, but the old children may not have let go yet.
		if !errors.Is(err, errPortTaken) || time.Now().After(deadline) {
			tb.Fatalf("testdovecot: restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Client returns a logged-in client of the server, closed when the test
// ends.
func (s *Server) Client(tb testing.TB) *imapclient.Client {
	tb.Helper()
	c, err := s.login()
	if err != nil {
		tb.Fatalf("testdovecot: %v\n%s", err, s.Log())
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Append stores raw in mailbox (created when missing) over IMAP, as a
// delivering MTA would.
func (s *Server) Append(tb testing.TB, mailbox string, raw []byte) {
	tb.Helper()
	c, err := s.login()
	if err != nil {
		tb.Fatalf("testdovecot: %v\n%s", err, s.Log())
	}
	defer func() { _ = c.Close() }()
	if err := AppendTo(c, mailbox, raw); err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}
	_ = c.Logout().Wait()
}

// AppendTo stores raw in mailbox through c, creating the mailbox when the
// server says it is missing (RFC 3501 §6.3.11, TRYCREATE).
func AppendTo(c *imapclient.Client, mailbox string, raw []byte) error {
	err := appendOnce(c, mailbox, raw)
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeTryCreate {
		if err := c.Create(mailbox, nil).Wait(); err != nil {
			return fmt.Errorf("create %s: %w", mailbox, err)
		}
		err = appendOnce(c, mailbox, raw)
	}
	return err
}

func appendOnce(c *imapclient.Client, mailbox string, raw []byte) error {
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		_ = cmd.Close()
		return fmt.Errorf("append to %s: %w", mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("append to %s: %w", mailbox, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("append to %s: %w", mailbox, err)
	}
	return nil
}

// Log returns Dovecot's log so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return string(b) + s.stderr()
}

// stderr is what Dovecot wrote outside its log (configuration errors).
func (s *Server) stderr() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "stderr.log"))
	return string(b)
}

func (s *Server) login() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, &imapclient.Options{Dialer: &net.Dialer{Timeout: 5 * time.Second}})
	if err != nil {
		return nil, err
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("login to %s: %w", s.Addr, err)
	}
	return c, nil
}

var errPortTaken = errors.New("port already in use")

// launch starts Dovecot on port and waits until a login succeeds.
func (s *Server) launch(port int) error {
	if err := os.WriteFile(s.conf, []byte(s.config(port)), 0o644); err != nil {
		return err
	}
	logPath := filepath.Join(s.dir, "dovecot.log")
	before, _ := os.ReadFile(logPath)

	// A file, not a pipe: Dovecot's services inherit the descriptor, and
	// exec's Wait would wait for the last of them to close a pipe.
	out, err := os.OpenFile(filepath.Join(s.dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(s.bin, "-F", "-c", s.conf)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	// Owned by the Server: it ends when the process does, which Stop
	// guarantees.
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			s.Stop()
			all, _ := os.ReadFile(logPath)
			logged := strings.TrimPrefix(string(all), string(before)) + s.stderr()
			if strings.Contains(logged, "Address already in use") {
				return fmt.Errorf("dovecot on port %d: %w", port, errPortTaken)
			}
			return fmt.Errorf("dovecot exited at start:\n%s", logged)
		default:
		}
		c, err := s.login()
		if err == nil {
			_ = c.Logout().Wait()
			_ = c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("dovecot not ready within %s: %v\n%s", startTimeout, err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// prepare makes the server's directory, password file and home.
func prepare(bin string) (*Server, error) {
	// Our own directory, not tb.TempDir: its path stays short (Dovecot's
	// unix sockets live under base_dir and a socket path is limited to 108
	// bytes), and it can be opened to the unprivileged mail user.
	dir, err := os.MkdirTemp("", "dovecot-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	for _, d := range []string{"run", "state", "home"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	u, err := accounts()
	if err != nil {
		return nil, err
	}
	if u.v24, err = isV24(bin); err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home", testUser)
	if err := os.Mkdir(home, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(home, u.mailUID, u.mailGID); err != nil {
			return nil, err
		}
	}
	// passwd-file serves as passdb and userdb: user:password:uid:gid::home::
	line := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", testUser, testPassword, u.mailUID, u.mailGID, home)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(line), 0o644); err != nil {
		return nil, err
	}
	return &Server{User: testUser, Password: testPassword, bin: bin, dir: dir,
		conf: filepath.Join(dir, "dovecot.conf"), accounts: u}, nil
}

// users are the system accounts Dovecot runs as.
type users struct {
	internal, login  string // default_internal_user, default_login_user
	internalGroup    string
	mailUID, mailGID int // owner of the maildir
	v24              bool
}

// accounts picks accounts that exist on the machine. As root: the ones the
// Debian package creates (dovecot, dovenull), else nobody; mail is owned by
// nobody, since Dovecot refuses to run mail processes as root. As another
// user, Dovecot runs everything as that user.
func accounts() (users, error) {
	if os.Geteuid() != 0 {
		me, err := user.Current()
		if err != nil {
			return users{}, err
		}
		g, err := user.LookupGroupId(me.Gid)
		if err != nil {
			return users{}, err
		}
		uid, _ := strconv.Atoi(me.Uid)
		gid, _ := strconv.Atoi(me.Gid)
		return users{internal: me.Username, login: me.Username, internalGroup: g.Name, mailUID: uid, mailGID: gid}, nil
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		return users{}, fmt.Errorf("no user nobody: %w", err)
	}
	u := users{internal: "nobody", login: "nobody"}
	u.mailUID, _ = strconv.Atoi(nobody.Uid)
	u.mailGID, _ = strconv.Atoi(nobody.Gid)
	if g, err := user.LookupGroupId(nobody.Gid); err == nil {
		u.internalGroup = g.Name
	} else {
		return users{}, fmt.Errorf("no group of nobody: %w", err)
	}
	if d, err := user.Lookup("dovecot"); err == nil {
		u.internal = d.Username
		if g, err := user.LookupGroupId(d.Gid); err == nil {
			u.internalGroup = g.Name
		}
	}
	if d, err := user.Lookup("dovenull"); err == nil {
		u.login = d.Username
	}
	return u, nil
}

func findDovecot() (string, error) {
	bin := "/usr/sbin/dovecot"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("dovecot"); err != nil {
			return "", fmt.Errorf("dovecot not found at /usr/sbin/dovecot nor on PATH")
		}
	}
	return bin, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
