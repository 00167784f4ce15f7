// Package testredis starts a real redis-server for tests, on a free loopback
// port with a throw-away configuration, and stops it when the test ends.
package testredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	Addr  string
	cmd   *exec.Cmd
	dir   string
	bin   string
	extra []string
}

// Start runs a redis-server for the test. It fails the test, with the
// install hint, when redis-server is not on the machine: a store test that
// silently skips would prove nothing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("testredis: redis-server not found (apt-get install -y redis-server, or run .ci/run): %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s, err := start(tb, bin)
		if err == nil {
			return s
		}
		lastErr = err
	}
	tb.Fatalf("testredis: %v", lastErr)
	return nil
}

func start(tb testing.TB, bin string) (*Server, error) { return startWith(tb, bin) }

func startWith(tb testing.TB, bin string, extra ...string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := tb.TempDir()
	args := []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", "", "--daemonize", "no", "--protected-mode", "yes",
	}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var lines []string
		for sc.Scan() {
			line := sc.Text()
			lines = append(lines, line)
			if strings.Contains(line, "Ready to accept connections") {
				ready <- nil
				for sc.Scan() {
				}
				return
			}
		}
		ready <- fmt.Errorf("redis-server exited: %s", strings.Join(lines, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			_ = cmd.Wait()
			return nil, err
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("redis-server did not start within 10s")
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir, bin: bin, extra: extra}
	tb.Cleanup(s.Stop)
	return s, nil
}

// StartDurable runs a redis-server that writes every change to its
// append-only file, so that Restart keeps the data, as a production
// server would.
func StartDurable(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("testredis: redis-server not found (apt-get install -y redis-server): %v", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		if s, err := startWith(tb, bin, "--appendonly", "yes", "--appendfsync", "always"); err == nil {
			return s
		}
	}
	tb.Fatalf("testredis: durable server did not start")
	return nil
}

// Restart stops the server and starts it again on the same port and data
// directory.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	_, port, _ := net.SplitHostPort(s.Addr)
	args := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", "", "--daemonize", "no", "--protected-mode", "yes"}
	args = append(args, s.extra...)
	var lastErr error
	for attempt := 0; attempt < 50; attempt++ { // the port may linger a moment
		cmd := exec.Command(s.bin, args...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			tb.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		ready := false
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				ready = true
				break
			}
		}
		if ready {
			go func() {
				for sc.Scan() {
				}
			}()
			s.cmd = cmd
			return
		}
		_ = cmd.Wait()
		lastErr = fmt.Errorf("redis-server did not restart on %s", s.Addr)
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("testredis: %v", lastErr)
}

// Stop kills the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 64})
	tb.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("testredis: ping %s: %v", s.Addr, err)
	}
	return c
}

// URL is the LICENSEDESK_REDIS_URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr }

// New starts a real server and returns a client of it.
func New(tb testing.TB) *redis.Client {
	tb.Helper()
	return Start(tb).Client(tb)
}

// Mini returns a client of an in-process miniredis, for fast unit tests of
// plain behaviour. Every behaviour that touches Redis also has a test on a
// real server.
func Mini(tb testing.TB) *redis.Client {
	tb.Helper()
	m := miniredis.RunT(tb)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartCluster runs a Redis Cluster of n masters (no replicas) on free
// loopback ports and returns a cluster client of it.
func StartCluster(tb testing.TB, n int) *redis.ClusterClient {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("testredis: redis-server not found (apt-get install -y redis-server): %v", err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("testredis: redis-cli not found: %v", err)
	}
	var addrs []string
	for i := 0; i < n; i++ {
		var s *Server
		for attempt := 0; attempt < 5 && s == nil; attempt++ {
			s, err = startWith(tb, bin, "--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i), "--cluster-node-timeout", "5000")
		}
		if err != nil {
			tb.Fatalf("testredis: cluster node: %v", err)
		}
		addrs = append(addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("testredis: cluster create: %v\n%s", err, out)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	tb.Cleanup(func() { _ = c.Close() })
	// Wait until every slot is served.
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := c.ClusterInfo(context.Background()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testredis: cluster not ready: %v %s", err, info)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c
}
