package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strings"

	"github.com/licensedesk/licensedesk/internal/redact"
	"gopkg.in/yaml.v3"
)

// Config holds every setting of SPEC §6.2. Each has a YAML key and an
// environment variable; the variable wins. Secrets can also come from a
// file (*_file), and never appear in String().
type Config struct {
	RedisURL           string `yaml:"redis_url" env:"LICENSEDESK_REDIS_URL" secret:"url"`
	RedisURLFile       string `yaml:"redis_url_file" env:"LICENSEDESK_REDIS_URL_FILE"`
	HTTPAddr           string `yaml:"http_addr" env:"LICENSEDESK_HTTP_ADDR"`
	SlackSigningSecret string `yaml:"slack_signing_secret" env:"SLACK_SIGNING_SECRET" secret:"yes"`
	SlackSigningFile   string `yaml:"slack_signing_secret_file" env:"SLACK_SIGNING_SECRET_FILE"`
	SlackBotToken      string `yaml:"slack_bot_token" env:"SLACK_BOT_TOKEN" secret:"yes"`
	SlackBotTokenFile  string `yaml:"slack_bot_token_file" env:"SLACK_BOT_TOKEN_FILE"`
	SlackAppToken      string `yaml:"slack_app_token" env:"SLACK_APP_TOKEN" secret:"yes"`
	SlackAppTokenFile  string `yaml:"slack_app_token_file" env:"SLACK_APP_TOKEN_FILE"`
	SlackAPIURL        string `yaml:"slack_api_url" env:"SLACK_API_URL"`
	ApprovalChannel    string `yaml:"approval_channel" env:"LICENSEDESK_APPROVAL_CHANNEL"`
	IMAPURL            string `yaml:"imap_url" env:"LICENSEDESK_IMAP_URL" secret:"url"`
	IMAPURLFile        string `yaml:"imap_url_file" env:"LICENSEDESK_IMAP_URL_FILE"`
	SMTPURL            string `yaml:"smtp_url" env:"LICENSEDESK_SMTP_URL" secret:"url"`
	SMTPURLFile        string `yaml:"smtp_url_file" env:"LICENSEDESK_SMTP_URL_FILE"`
	From               string `yaml:"from" env:"LICENSEDESK_FROM"`
	DeskName           string `yaml:"desk_name" env:"LICENSEDESK_DESK_NAME"`
	TrustedAuthserv    string `yaml:"trusted_authserv" env:"LICENSEDESK_TRUSTED_AUTHSERV"`
	LogLevel           string `yaml:"log_level" env:"LICENSEDESK_LOG_LEVEL"`
}

// secretFiles pairs each secret with the setting naming its file.
func (c *Config) secretFiles() []struct {
	name string
	dst  *string
	file string
} {
	return []struct {
		name string
		dst  *string
		file string
	}{
		{"redis_url", &c.RedisURL, c.RedisURLFile},
		{"slack_signing_secret", &c.SlackSigningSecret, c.SlackSigningFile},
		{"slack_bot_token", &c.SlackBotToken, c.SlackBotTokenFile},
		{"slack_app_token", &c.SlackAppToken, c.SlackAppTokenFile},
		{"imap_url", &c.IMAPURL, c.IMAPURLFile},
		{"smtp_url", &c.SMTPURL, c.SMTPURLFile},
	}
}

// LoadConfig reads the YAML file (if path is not empty) strictly, applies
// the environment, reads secret files and validates the result.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true) // unknown keys are errors
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if env := v.Type().Field(i).Tag.Get("env"); env != "" {
			if val := getenv(env); val != "" {
				v.Field(i).SetString(val)
			}
		}
	}
	for _, s := range c.secretFiles() {
		if s.file == "" {
			continue
		}
		if *s.dst != "" {
			return nil, fmt.Errorf("config: %s and %s_file are both set: keep one", s.name, s.name)
		}
		data, err := os.ReadFile(s.file)
		if err != nil {
			return nil, fmt.Errorf("config: %s_file: %w", s.name, err)
		}
		*s.dst = strings.TrimSpace(string(data))
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	for _, u := range []struct{ name, val string }{{"imap_url", c.IMAPURL}, {"smtp_url", c.SMTPURL}, {"slack_api_url", c.SlackAPIURL}} {
		if u.val == "" {
			continue
		}
		if _, err := url.Parse(u.val); err != nil {
			return fmt.Errorf("config: %s is not a URL", u.name) // the URL may hold a password: not echoed
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log_level %q is not debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// String shows the configuration with every secret redacted.
func (c *Config) String() string {
	var b strings.Builder
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		val := v.Field(i).String()
		if val == "" {
			continue
		}
		switch f.Tag.Get("secret") {
		case "yes":
			val = "<redacted>"
		case "url":
			val = redact.URL(val)
		}
		fmt.Fprintf(&b, "%s: %s\n", f.Tag.Get("yaml"), val)
	}
	return b.String()
}
