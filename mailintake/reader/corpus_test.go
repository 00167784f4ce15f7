package reader

import (
	"github.com/licensedesk/licensedesk/internal/corpora"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

// The reply-parsing corpora hold hundreds of real replies, in English,
// French and other languages, none of them a licence request. The reader
// must not find an operation in any of them: a false operation would change
// a customer's licences.
func TestCorpusRealRepliesYieldNoOperation(t *testing.T) {
	dir := filepath.Join(corpora.Dir(t), "1_reply_parsing")
	files, questions := 0, 0
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(path, ".txt") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		r := Read("", string(raw), testCatalog, contoso)
		if len(r.Ops) > 0 {
			rel, _ := filepath.Rel(dir, path)
			t.Errorf("%s: read operations %s from a message that asks for none", rel, fmtOps(r.Ops))
		}
		if len(r.Issues) == 0 {
			t.Errorf("%s: neither an operation nor an issue", path)
		}
		for _, is := range r.Issues {
			if is.Code != ledger.NoRequestFound {
				questions++
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 300 {
		t.Fatalf("only %d corpus files read: is the corpus complete?", files)
	}
	t.Logf("%d replies read: no operation; %d answered with a question instead of NoRequestFound", files, questions)
}
