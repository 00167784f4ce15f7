//go:build unix

package testdovecot

import (
	"os/exec"
	"syscall"
)

// Dovecot's master forks its services; a process group lets a stuck server
// be killed whole.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminate asks the master to shut down; it stops its services itself.
func terminate(cmd *exec.Cmd) { _ = cmd.Process.Signal(syscall.SIGTERM) }

// kill ends the server's process group (its master's id is the group's).
func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
