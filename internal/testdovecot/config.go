package testdovecot

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// config is the throw-away dovecot.conf. Dovecot 2.4 changed the syntax
// (required version lines, named passdb/userdb blocks, mail_driver), so
// both dialects are written: Debian 12 ships 2.3, Debian 13 ships 2.4.
func (s *Server) config(port int) string {
	u := s.accounts
	path := func(name string) string { return filepath.Join(s.dir, name) }
	var b strings.Builder
	if u.v24 {
		// Must be the first settings of the file.
		b.WriteString("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n")
	}
	fmt.Fprintf(&b, `base_dir = %s
state_dir = %s
instance_name = %s
log_path = %s
protocols = imap
listen = 127.0.0.1
ssl = no
auth_mechanisms = plain login
auth_verbose = yes
default_internal_user = %s
default_internal_group = %s
default_login_user = %s
first_valid_uid = 1
first_valid_gid = 1
# Mail appended by another session reaches an IDLE client at once (inotify);
# this is the fallback check.
mailbox_idle_check_interval = 1s
namespace inbox {
  inbox = yes
  separator = /
}
# No chroots: they need root, and the tests may run without it.
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    port = %d
  }
  inet_listener imaps {
    port = 0
  }
}
`, path("run"), path("state"), "testdovecot-"+filepath.Base(s.dir), path("dovecot.log"),
		u.internal, u.internalGroup, u.login, port)
	if u.v24 {
		fmt.Fprintf(&b, `auth_allow_cleartext = yes
passdb passwd-file {
  passwd_file_path = %[1]s
}
userdb passwd-file {
  passwd_file_path = %[1]s
}
mail_driver = maildir
mail_path = ~/Maildir
`, path("passwd"))
	} else {
		fmt.Fprintf(&b, `disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = %[1]s
}
userdb {
  driver = passwd-file
  args = %[1]s
}
mail_location = maildir:~/Maildir
`, path("passwd"))
	}
	return b.String()
}

// isV24 reports whether bin is Dovecot 2.4 or later ("2.3.19.1 (9b53102964)").
func isV24(bin string) (bool, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return false, fmt.Errorf("%s --version: %w", bin, err)
	}
	fields := strings.Split(strings.Fields(string(out) + " ")[0], ".")
	if len(fields) < 2 {
		return false, fmt.Errorf("unrecognised dovecot version %q", out)
	}
	major, err1 := strconv.Atoi(fields[0])
	minor, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil {
		return false, fmt.Errorf("unrecognised dovecot version %q", out)
	}
	return major > 2 || major == 2 && minor >= 4, nil
}
