package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

func TestFormatting(t *testing.T) {
	at := time.Date(2026, 3, 8, 14, 30, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		name, got, want string
	}{
		{"money in English groups thousands with commas", formatMoney("en", 1234.5, "EUR"), "1,234.50 EUR"},
		{"money in French groups thousands with narrow no-break spaces and ends in €", formatMoney("fr", 1234.5, "EUR"), "1\u202f234,50\u00a0€"},
		{"money in French keeps another currency's code", formatMoney("fr-FR", 12, "USD"), "12,00\u00a0USD"},
		{"money with no currency is in euros", formatMoney("en", 0.5, ""), "0.50 EUR"},
		{"a credit keeps its sign", formatMoney("en", -8.5, "EUR"), "-8.50 EUR"},
		{"a date in English is ISO, in UTC", formatDate("en", at, false), "2026-03-08"},
		{"a date and time in English says UTC", formatDate("en", at, true), "2026-03-08 13:30 UTC"},
		{"a date and time in French says à and UTC", formatDate("fr", at, true), "08/03/2026 à 13:30 UTC"},
		{"one user in English is singular", plural("en", 1, "user", "users"), "1 user"},
		{"no user in English is plural", plural("en", 0, "user", "users"), "0 users"},
		{"no licence in French is singular", plural("fr", 0, "licence", "licences"), "0 licence"},
		{"two licences in French are plural", plural("fr", int64(2), "licence", "licences"), "2 licences"},
		{"de elides before a vowel", de("Office 365 E3"), "d'Office 365 E3"},
		{"de elides before an accented vowel", de("Économie"), "d'Économie"},
		{"de stays before a consonant", de("Microsoft 365 E3"), "de Microsoft 365 E3"},
		{"a French quote has no-break spaces inside", quote("fr", "Visio Plan 2"), "«\u00a0Visio Plan 2\u00a0»"},
		{"an English quote uses single quotes", quote("en", "Visio Plan 2"), "'Visio Plan 2'"},
		{"a short user list is given whole", userList("en", []string{"a", "b"}, 20), "a, b"},
		{"a long user list in French counts the others", userList("fr", []string{"a", "b", "c"}, 2), "a, b … et 1 autre"},
		{"French typography puts no-break spaces before : ; ! ?", frenchTypography("Licences : 2 ; vraiment ? oui !"), "Licences\u00a0: 2\u202f; vraiment\u202f? oui\u202f!"},
		{"French typography puts no-break spaces inside guillemets", frenchTypography("« x » et «y»"), "«\u00a0x\u00a0» et «\u00a0y\u00a0»"},
		{"French typography leaves times, addresses and typeset text alone", frenchTypography("14:30 https://x.fr a\u00a0? b"), "14:30 https://x.fr a\u00a0? b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func TestFrenchTypographyNeverLeavesALoneGuillemet(t *testing.T) {
	for _, s := range []string{"« x »", "« »", "a « b » c : d", "«b»"} {
		got := frenchTypography(s)
		for _, line := range strings.Split(got, "\n") {
			if strings.HasSuffix(strings.TrimRight(line, "\u00a0"), "«") && line != "«\u00a0" {
				t.Errorf("%q: a line ends on «: %q", s, got)
			}
		}
		if strings.Contains(got, "« ") || strings.Contains(got, " »") {
			t.Errorf("%q: an ordinary space by a guillemet: %q", s, got)
		}
	}
}

func TestSwitchSeatsAreReadFromTheFiguresAndTheDetail(t *testing.T) {
	applied := []ledger.UserOutcome{{UPN: "a@x.com", Outcome: ledger.OutcomeApplied}, {UPN: "b@x.com", Outcome: ledger.OutcomeApplied}, {UPN: "c@x.com", Outcome: ledger.OutcomeRefused}}
	cases := []struct {
		name string
		op   ledger.OpResult
		want switchSeats
	}{
		{"freed seats with their window and the renewal", ledger.OpResult{UserResults: applied,
			Detail: "2 seats of SPB are now free; 1 can be returned until 2026-03-08 14:30 UTC; 1 can be reduced at the renewal on 2027-01-01"},
			switchSeats{Freed: 2, Now: 1, Until: time.Date(2026, 3, 8, 14, 30, 0, 0, time.UTC), Later: 1, Renewal: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Known: true}},
		{"freed seats with nothing more to say", ledger.OpResult{UserResults: applied, Detail: "2 seats of SPB are now free"}, switchSeats{Freed: 2, Known: true}},
		{"returned and scheduled seats with the renewal date", ledger.OpResult{UserResults: applied, Returned: 1, Scheduled: 1,
			Detail: "1 seats of SPB are returned now and 1 will go at the renewal on 2027-01-01"},
			switchSeats{Freed: 2, Returned: 1, Scheduled: 1, Renewal: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Known: true}},
		{"returned seats and some that stay free", ledger.OpResult{UserResults: applied, Returned: 1, Detail: "1 seats of SPB are returned now; 1 stay free: auto-renew is off"},
			switchSeats{Freed: 2, Returned: 1, StayFree: 1, Known: true}},
		{"a detail worded otherwise keeps the figures and loses only the dates", ledger.OpResult{Before: &ledger.Figures{Assigned: 5}, After: &ledger.Figures{Assigned: 2}, Detail: "3 sièges libérés"},
			switchSeats{Freed: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := seatsOf(c.op); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
