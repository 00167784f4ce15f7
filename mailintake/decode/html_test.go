package decode_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/mailintake/decode"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"paragraphs are separated by a blank line",
			"<p>Bonjour,</p><p>Ajoutez 5 licences.</p>", "Bonjour,\n\nAjoutez 5 licences."},
		{"br breaks a line, two make a blank line",
			"a<br>b<br/><br>c", "a\nb\n\nc"},
		{"divs break lines",
			"<div>a</div><div>b</div>text", "a\nb\ntext"},
		{"list items start with a dash",
			"<ul><li>E3 : 5</li><li>E5 : 2</li></ul>", "- E3 : 5\n- E5 : 2"},
		{"nested lists are indented",
			"<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n\n  - b\n\n- c"},
		{"links keep their text only",
			`Voir <a href="https://portal.example/x?a=1&amp;b=2">le portail</a>.`, "Voir le portail."},
		{"script, style, head and title vanish",
			"<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>Texte</p></body></html>", "Texte"},
		{"an unclosed head ends at the first body element",
			"<html><head><meta charset=utf-8><title>T</title><div>Texte</div>", "Texte"},
		{"text directly in head is shown",
			"<head>Bonjour", "Bonjour"},
		{"entities are decoded",
			"&eacute;t&eacute; &amp; &lt;b&gt; &#8364; &euro; &#x2019;", "été & <b> € € ’"},
		{"nbsp is a space",
			"a&nbsp;b&nbsp;&nbsp;c", "a b c"},
		{"white space collapses",
			"  a \n\t b  ", "a b"},
		{"blockquote lines are prefixed for the quote stripper",
			"<p>Oui</p><blockquote><p>Le 3 mars, X a écrit :</p><p>Combien ?</p></blockquote><p>Merci</p>",
			"Oui\n\n> Le 3 mars, X a écrit :\n>\n> Combien ?\n\nMerci"},
		{"nested blockquotes add one marker per level",
			"<blockquote>a<blockquote>b</blockquote>c</blockquote>", "> a\n>\n> > b\n>\n> c"},
		{"table rows are lines, cells are separated",
			"<table><tr><td>E3</td><td>5</td></tr><tr><th>E5</th><td>2</td></tr></table>", "E3 | 5\nE5 | 2"},
		{"an empty cell adds no separator",
			"<table><tr><td></td><td>E3</td><td> </td><td>5</td></tr></table>", "E3 | 5"},
		{"Word paragraphs are lines and its empty paragraphs blank lines",
			"<p class=MsoNormal>Bonjour,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>" +
				"<p class=MsoNormal>Merci d&#8217;ajouter&nbsp;:<o:p></o:p></p><p class=MsoNormal>Jean<o:p></o:p></p>",
			"Bonjour,\n\nMerci d’ajouter :\nJean"},
		{"Word bullets behind supportLists comments become list items",
			"<p class=MsoNormal>Merci d&#8217;ajouter&nbsp;:<o:p></o:p></p>" +
				"<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]-->" +
				"<span style='font-family:Symbol'><span style='mso-list:Ignore'>&middot;<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp; </span></span></span>" +
				"<!--[endif]-->2 licences Microsoft 365 Business Premium<o:p></o:p></p>" +
				"<p class=MsoListParagraphCxSpLast style='mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span style='font-family:Symbol'>" +
				"<span style='mso-list:Ignore'>&middot;<span>&nbsp;&nbsp;</span></span></span><!--[endif]-->1 licence Office 365 E3<o:p></o:p></p>" +
				"<p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Cordialement,<o:p></o:p></p>",
			"Merci d’ajouter :\n- 2 licences Microsoft 365 Business Premium\n- 1 licence Office 365 E3\n\nCordialement,"},
		{"Word numbers behind downlevel-revealed comments become list items",
			"<p class=MsoNormal>Two things:<o:p></o:p></p>" +
				"<p class=MsoListParagraph style='mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>1.<span>&nbsp;&nbsp; </span></span><![endif]>Add 2 E1<o:p></o:p></p>" +
				"<p class=MsoListParagraph style='mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>2.<span>&nbsp;&nbsp; </span></span><![endif]>Send the invoice<o:p></o:p></p>",
			"Two things:\n- Add 2 E1\n- Send the invoice"},
		{"a Gmail quote is quoted like a blockquote",
			`<div dir="ltr">Please assign Visio.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, X wrote:<br></div>` +
				`<blockquote class="gmail_quote">Please add 10 Business Basic.</blockquote></div>`,
			"Please assign Visio.\n\n> On Mon, X wrote:\n>\n> > Please add 10 Business Basic."},
		{"headings are paragraphs",
			"<h1>Titre</h1>texte", "Titre\n\ntexte"},
		{"runs of blank lines collapse",
			"<p>a</p><p></p><p>&nbsp;</p><br><br><br><p>b</p>", "a\n\nb"},
		{"pre keeps its blanks and lines",
			"<pre>a  b\n  c\n\nd</pre>", "a  b\n  c\n\nd"},
		{"Outlook's empty paragraphs",
			"<p class=MsoNormal>Hi<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Thanks<o:p></o:p></p>",
			"Hi\n\nThanks"},
		{"comments and conditional comments vanish",
			"a<!-- hidden --><!--[if mso]><p>mso</p><![endif]-->b", "ab"},
		{"a self-closing script still hides its content",
			"<script/>alert(1)</script>ok", "ok"},
		{"invisible format characters are dropped",
			"ajou\u200bter&shy;5", "ajouter5"},
		{"control characters are removed",
			"a\x00b\x07c", "abc"},
		{"invalid UTF-8 is replaced",
			"caf\xe9", "caf\uFFFD"},
		{"an unclosed blockquote ends with the text",
			"<blockquote>quoted", "> quoted"},
		{"stray end tags change nothing",
			"</blockquote></ul></pre>a", "a"},
		{"empty input", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decode.HTMLToText(tt.html); got != tt.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tt.html, got, tt.want)
			}
		})
	}
}

// hostileHTML nests and repeats far beyond real mail.
var hostileHTML = []struct {
	name string
	html string
}{
	{"200k nested blockquotes", strings.Repeat("<blockquote>x<br>", 200000)},
	{"200k nested lists", strings.Repeat("<ul><li>x", 200000)},
	{"200k nested divs", strings.Repeat("<div>", 200000) + "x"},
	{"a 4 MB attribute", `<p title="` + strings.Repeat("a", 4<<20) + `">x</p>`},
	{"100k attributes", "<p " + strings.Repeat("a=b ", 100000) + ">x</p>"},
	{"an unterminated comment", "<!--" + strings.Repeat("x", 1<<20)},
	{"200k unclosed heads", strings.Repeat("<head><title>", 200000)},
}

// TestHTMLToTextIsBoundedOnHostileInput: on hostile input the output stays
// bounded and its decoration capped. The time it takes is measured by
// BenchmarkHTMLToTextHostile, not asserted here.
func TestHTMLToTextIsBoundedOnHostileInput(t *testing.T) {
	for _, tt := range hostileHTML {
		t.Run(tt.name, func(t *testing.T) {
			out := decode.HTMLToText(tt.html)
			if len(out) > 16*len(tt.html)+64 {
				t.Errorf("output %d bytes for %d bytes of input", len(out), len(tt.html))
			}
			for line := range strings.Lines(out) {
				if strings.Count(line, "> ") > 16 || strings.Count(line, "  ") > 8 {
					t.Fatalf("decoration not capped: %q", line[:min(len(line), 80)])
				}
			}
		})
	}
}

func TestHTMLToTextOutputIsCleanText(t *testing.T) {
	out := decode.HTMLToText("<p>a \r\n b</p>\r\n<p>\u0085 c&#0; &#x1b;d</p><pre>e \r\nf</pre>")
	if !utf8.ValidString(out) || strings.ContainsAny(out, "\r\x00\x1b\u0085") {
		t.Errorf("output keeps control characters: %q", out)
	}
	for line := range strings.Lines(out) {
		if strings.HasSuffix(strings.TrimSuffix(line, "\n"), " ") {
			t.Errorf("line ends with a blank: %q", line)
		}
	}
}

func BenchmarkHTMLToText(b *testing.B) {
	html := strings.Repeat(`<div class="gmail_default" style="font-family:arial">Bonjour,<br>ajoutez 5 licences <b>E3</b>.</div>`+
		"<blockquote><p>Le 3 mars, X a &eacute;crit&nbsp;:</p></blockquote>", 20)
	b.SetBytes(int64(len(html)))
	for b.Loop() {
		decode.HTMLToText(html)
	}
}

// BenchmarkHTMLToTextHostile renders each hostile input (linear work takes
// tens of milliseconds; quadratic work would take minutes).
func BenchmarkHTMLToTextHostile(b *testing.B) {
	for _, tt := range hostileHTML {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.html)))
			for b.Loop() {
				decode.HTMLToText(tt.html)
			}
		})
	}
}
