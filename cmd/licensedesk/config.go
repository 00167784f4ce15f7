package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	// The desk's timezone must load in a minimal container image too.
	_ "time/tzdata"

	"github.com/licensedesk/licensedesk/mailintake"

	"github.com/licensedesk/licensedesk/internal/redact"
	"gopkg.in/yaml.v3"
)

// Config holds every setting of SPEC §6.2. Each has a YAML key and an
// environment variable; the variable wins, also over the file's *_file form
// of the same secret. Secrets can also come from a file (*_file), and never
// appear in String().
type Config struct {
	RedisURL           string `yaml:"redis_url" env:"LICENSEDESK_REDIS_URL" secret:"url"`
	RedisURLFile       string `yaml:"redis_url_file" env:"LICENSEDESK_REDIS_URL_FILE"`
	AllowEmbeddedStore bool   `yaml:"allow_embedded_store" env:"LICENSEDESK_ALLOW_EMBEDDED_STORE"`
	HTTPAddr           string `yaml:"http_addr" env:"LICENSEDESK_HTTP_ADDR"`
	SlackSigningSecret string `yaml:"slack_signing_secret" env:"SLACK_SIGNING_SECRET" secret:"yes"`
	SlackSigningFile   string `yaml:"slack_signing_secret_file" env:"SLACK_SIGNING_SECRET_FILE"`
	SlackBotToken      string `yaml:"slack_bot_token" env:"SLACK_BOT_TOKEN" secret:"yes"`
	SlackBotTokenFile  string `yaml:"slack_bot_token_file" env:"SLACK_BOT_TOKEN_FILE"`
	SlackAppToken      string `yaml:"slack_app_token" env:"SLACK_APP_TOKEN" secret:"yes"`
	SlackAppTokenFile  string `yaml:"slack_app_token_file" env:"SLACK_APP_TOKEN_FILE"`
	SlackAPIURL        string `yaml:"slack_api_url" env:"SLACK_API_URL"`
	ApprovalChannel    string `yaml:"approval_channel" env:"LICENSEDESK_APPROVAL_CHANNEL"`
	ReportChannel      string `yaml:"report_channel" env:"LICENSEDESK_REPORT_CHANNEL"`
	ReportTimezone     string `yaml:"report_timezone" env:"LICENSEDESK_REPORT_TIMEZONE"`
	IMAPURL            string `yaml:"imap_url" env:"LICENSEDESK_IMAP_URL" secret:"url"`
	IMAPURLFile        string `yaml:"imap_url_file" env:"LICENSEDESK_IMAP_URL_FILE"`
	SMTPURL            string `yaml:"smtp_url" env:"LICENSEDESK_SMTP_URL" secret:"url"`
	SMTPURLFile        string `yaml:"smtp_url_file" env:"LICENSEDESK_SMTP_URL_FILE"`
	From               string `yaml:"from" env:"LICENSEDESK_FROM"`
	DeskName           string `yaml:"desk_name" env:"LICENSEDESK_DESK_NAME"`
	TrustedAuthserv    string `yaml:"trusted_authserv" env:"LICENSEDESK_TRUSTED_AUTHSERV"`
	RequireAuthPass    bool   `yaml:"require_auth_pass" env:"LICENSEDESK_REQUIRE_AUTH_PASS"`
	RepliesPerHour     int    `yaml:"replies_per_hour" env:"LICENSEDESK_REPLIES_PER_HOUR"`
	LogLevel           string `yaml:"log_level" env:"LICENSEDESK_LOG_LEVEL"`
}

// secret pairs a secret setting with the setting naming its file.
type secret struct {
	name      string
	dst, file *string
}

func (c *Config) secrets() []secret {
	return []secret{
		{"redis_url", &c.RedisURL, &c.RedisURLFile},
		{"slack_signing_secret", &c.SlackSigningSecret, &c.SlackSigningFile},
		{"slack_bot_token", &c.SlackBotToken, &c.SlackBotTokenFile},
		{"slack_app_token", &c.SlackAppToken, &c.SlackAppTokenFile},
		{"imap_url", &c.IMAPURL, &c.IMAPURLFile},
		{"smtp_url", &c.SMTPURL, &c.SMTPURLFile},
	}
}

// LoadConfig reads the YAML file (if path is not empty) strictly, applies
// the environment, reads secret files and validates the result. The
// environment wins over the file, and a secret or its *_file given in the
// environment replaces both forms of the file (SPEC §6.2); a secret and its
// file given in the same place are refused as ambiguous.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	file := &Config{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true) // unknown keys are errors
		if err := dec.Decode(file); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	env := &Config{}
	v := reflect.ValueOf(env).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		val := getenv(f.Tag.Get("env"))
		if val == "" {
			continue
		}
		if err := setField(v.Field(i), val); err != nil {
			return nil, fmt.Errorf("config: %s: %w", f.Tag.Get("env"), err)
		}
	}
	c := file
	fileSecrets, envSecrets := file.secrets(), env.secrets()
	for i, s := range c.secrets() {
		from := fileSecrets[i]
		if e := envSecrets[i]; *e.dst != "" || *e.file != "" {
			from = e // the environment wins, over both forms of the file
		}
		if *from.dst != "" && *from.file != "" {
			return nil, fmt.Errorf("config: %s and %s_file are both set: keep one", s.name, s.name)
		}
		*s.dst, *s.file = *from.dst, *from.file
	}
	// Every other setting: the variable wins.
	cv, ev := reflect.ValueOf(c).Elem(), reflect.ValueOf(env).Elem()
	for i := 0; i < cv.NumField(); i++ {
		if isSecretField(cv.Type().Field(i).Tag.Get("yaml")) {
			continue
		}
		if !ev.Field(i).IsZero() {
			cv.Field(i).Set(ev.Field(i))
		}
	}
	for _, s := range c.secrets() {
		if *s.file == "" {
			continue
		}
		data, err := os.ReadFile(*s.file)
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

// isSecretField reports whether a YAML key is a secret or its file.
func isSecretField(key string) bool {
	for _, s := range (&Config{}).secrets() {
		if key == s.name || key == s.name+"_file" {
			return true
		}
	}
	return false
}

// setField sets a setting from its environment variable's text.
func setField(f reflect.Value, val string) error {
	switch f.Kind() {
	case reflect.Bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return errors.New("want true or false")
		}
		f.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(val)
		if err != nil {
			return errors.New("want a whole number")
		}
		f.SetInt(int64(n))
	default:
		f.SetString(val)
	}
	return nil
}

// reportLocation is the desk's timezone for the weekly report (R-REPORT):
// UTC unless set; validate has checked the name.
func (c *Config) reportLocation() *time.Location {
	if c.ReportTimezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.ReportTimezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Intake is the mail intake's part of the settings.
func (c *Config) Intake() mailintake.Config {
	return mailintake.Config{Desk: c.From, DeskName: c.DeskName, TrustedAuthserv: c.TrustedAuthserv,
		RequireAuthPass: c.RequireAuthPass, RepliesPerHour: c.RepliesPerHour}
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
	if c.RequireAuthPass && c.TrustedAuthserv == "" {
		return errors.New("config: require_auth_pass needs trusted_authserv: the server whose Authentication-Results count")
	}
	if c.RepliesPerHour < 0 {
		return errors.New("config: replies_per_hour must not be negative")
	}
	if c.ReportTimezone != "" {
		if _, err := time.LoadLocation(c.ReportTimezone); err != nil {
			return fmt.Errorf("config: report_timezone %q is not a time zone (e.g. Europe/Paris)", c.ReportTimezone)
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
		if v.Field(i).IsZero() {
			continue
		}
		val := fmt.Sprint(v.Field(i).Interface())
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
