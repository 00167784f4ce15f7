package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigEnvironmentWinsOverTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("http_addr: :9000\nfrom: desk@example.com\n"), 0o600)
	c, err := LoadConfig(path, envOf(map[string]string{"LICENSEDESK_HTTP_ADDR": ":9100"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":9100" || c.From != "desk@example.com" {
		t.Errorf("%+v", c)
	}
}

func TestConfigRejectsUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("http_adr: :9000\n"), 0o600)
	if _, err := LoadConfig(path, envOf(nil)); err == nil || !strings.Contains(err.Error(), "http_adr") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestConfigReadsSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "s")
	os.WriteFile(secret, []byte("shhh-signing\n"), 0o600)
	c, err := LoadConfig("", envOf(map[string]string{"SLACK_SIGNING_SECRET_FILE": secret}))
	if err != nil || c.SlackSigningSecret != "shhh-signing" {
		t.Fatalf("%v %q", err, c.SlackSigningSecret)
	}
	_, err = LoadConfig("", envOf(map[string]string{"SLACK_SIGNING_SECRET_FILE": secret, "SLACK_SIGNING_SECRET": "x"}))
	if err == nil {
		t.Error("a secret and its file both set should be refused")
	}
	if _, err := LoadConfig("", envOf(map[string]string{"SLACK_BOT_TOKEN_FILE": filepath.Join(dir, "missing")})); err == nil {
		t.Error("a missing secret file should be an error")
	}
}

func TestConfigStringLeaksNoSecret(t *testing.T) {
	c, err := LoadConfig("", envOf(map[string]string{
		"SLACK_SIGNING_SECRET":  "sig-SECRET-1",
		"SLACK_BOT_TOKEN":       "xoxb-SECRET-2",
		"SLACK_APP_TOKEN":       "xapp-SECRET-3",
		"LICENSEDESK_IMAP_URL":  "imaps://desk:SECRET-4@imap.example.com/INBOX",
		"LICENSEDESK_SMTP_URL":  "smtps://desk:SECRET-5@smtp.example.com:465",
		"LICENSEDESK_REDIS_URL": "rediss://default:SECRET-6@redis.example.com:6380/0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if strings.Contains(s, "SECRET") {
		t.Errorf("String() leaks a secret:\n%s", s)
	}
	for _, want := range []string{"imap.example.com", "smtp.example.com", "redis.example.com", "slack_bot_token: <redacted>"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
}

func TestTheExampleConfigLoadsAndDocumentsEverySetting(t *testing.T) {
	data, err := os.ReadFile("../../examples/licensedesk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Secret files do not exist here: strip the *_file lines to load it.
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.Contains(line, "_file:") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			kept = append(kept, line)
		}
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte(strings.Join(kept, "\n")), 0o600)
	if _, err := LoadConfig(path, envOf(nil)); err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	v := reflect.TypeOf(Config{})
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !strings.Contains(string(data), f.Tag.Get("yaml")) || !strings.Contains(string(data), f.Tag.Get("env")) {
			t.Errorf("the example does not document %s (%s)", f.Tag.Get("yaml"), f.Tag.Get("env"))
		}
	}
}

// SPEC §6.2: the environment wins, also over the file's *_file form.
func TestTheEnvironmentWinsOverTheFilesSecretFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("slack_signing_secret_file: /run/secrets/does-not-exist\nslack_bot_token: from-file\n"), 0o600)
	c, err := LoadConfig(path, envOf(map[string]string{"SLACK_SIGNING_SECRET": "from-env", "SLACK_BOT_TOKEN_FILE": writeSecret(t, dir, "tok-from-env-file")}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SlackSigningSecret != "from-env" || c.SlackSigningFile != "" {
		t.Errorf("signing secret %q (file %q), want the environment's", c.SlackSigningSecret, c.SlackSigningFile)
	}
	if c.SlackBotToken != "tok-from-env-file" {
		t.Errorf("bot token %q, want the environment's file", c.SlackBotToken)
	}
	// Both forms in the same place stay ambiguous.
	os.WriteFile(path, []byte("slack_bot_token: a\nslack_bot_token_file: /x\n"), 0o600)
	if _, err := LoadConfig(path, envOf(nil)); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("both forms in the file: %v", err)
	}
}

func writeSecret(t *testing.T, dir, v string) string {
	t.Helper()
	p := filepath.Join(dir, "secret-"+v)
	if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigTakesTheTypedSettings(t *testing.T) {
	c, err := LoadConfig("", envOf(map[string]string{"LICENSEDESK_REQUIRE_AUTH_PASS": "true",
		"LICENSEDESK_TRUSTED_AUTHSERV": "mx.example", "LICENSEDESK_REPLIES_PER_HOUR": "5", "LICENSEDESK_REPORT_TIMEZONE": "Europe/Paris"}))
	if err != nil {
		t.Fatal(err)
	}
	in := c.Intake()
	if !in.RequireAuthPass || in.TrustedAuthserv != "mx.example" || in.RepliesPerHour != 5 {
		t.Errorf("intake settings %+v", in)
	}
	for env, val := range map[string]string{"LICENSEDESK_REQUIRE_AUTH_PASS": "perhaps", "LICENSEDESK_REPLIES_PER_HOUR": "many",
		"LICENSEDESK_REPORT_TIMEZONE": "Mars/Olympus"} {
		if _, err := LoadConfig("", envOf(map[string]string{env: val, "LICENSEDESK_TRUSTED_AUTHSERV": "mx"})); err == nil {
			t.Errorf("%s=%s was accepted", env, val)
		}
	}
	if _, err := LoadConfig("", envOf(map[string]string{"LICENSEDESK_REQUIRE_AUTH_PASS": "1"})); err == nil {
		t.Error("require_auth_pass without a trusted server was accepted")
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("require_auth_pass: true\ntrusted_authserv: mx.example\n"), 0o600)
	if c, err := LoadConfig(path, envOf(nil)); err != nil || !c.RequireAuthPass {
		t.Errorf("require_auth_pass in the file: %v", err)
	}
}

// The example configuration starts serve with only the store and the
// signing secret in the environment (issue 13: the README's command).
func TestTheExampleConfigNeedsOnlyTheStoreAndTheSigningSecret(t *testing.T) {
	c, err := LoadConfig("../../examples/licensedesk.yaml", envOf(map[string]string{
		"LICENSEDESK_REDIS_URL": "redis://127.0.0.1:6379/0", "SLACK_SIGNING_SECRET": "s"}))
	if err != nil {
		t.Fatalf("the example does not load as the README runs it: %v", err)
	}
	if c.RedisURL != "redis://127.0.0.1:6379/0" || c.SlackSigningSecret != "s" {
		t.Errorf("%+v", c)
	}
}
