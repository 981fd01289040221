package delivery

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FileOptions configures the file connector.
type FileOptions struct {
	// Dir is used when a destination has no Dir of its own.
	Dir string
	// FileMode of written files. Default 0o640.
	FileMode fs.FileMode
	// DirMode of created directories. Default 0o750.
	DirMode fs.FileMode
	// Extensions maps media types (without parameters) to file name
	// extensions, extending and overriding the built-in table (pdf, json,
	// hl7, xml, txt, csv, html). Unknown types get ".bin".
	Extensions map[string]string
	// Logger receives one line per delivery. Nil discards.
	Logger *slog.Logger
}

func (o *FileOptions) defaults() {
	if o.FileMode == 0 {
		o.FileMode = 0o640
	}
	if o.DirMode == 0 {
		o.DirMode = 0o750
	}
	o.Logger = orDiscard(o.Logger)
}

var defaultExtensions = map[string]string{
	"application/pdf":          ".pdf",
	"application/json":         ".json",
	"application/fhir+json":    ".json",
	"application/hl7-v2":       ".hl7",
	"x-application/hl7-v2+er7": ".hl7",
	"application/xml":          ".xml",
	"application/fhir+xml":     ".xml",
	"text/xml":                 ".xml",
	"text/plain":               ".txt",
	"text/csv":                 ".csv",
	"text/html":                ".html",
}

// File writes message bodies to <dir>/<kind>/<message id><ext>, for the
// local PDF store and partner drop folders (an SFTP server's directory).
// A write is atomic (temporary file in the same directory, fsync, rename,
// fsync of the directory), so a reader never sees half a file, and
// idempotent: the same id always lands on the same path, and a redelivery
// replaces the file with the same content.
type File struct {
	opts FileOptions
}

var _ Connector = (*File)(nil)

// NewFile returns a file connector.
func NewFile(opts FileOptions) *File {
	opts.defaults()
	return &File{opts: opts}
}

// Name returns "file".
func (f *File) Name() string { return ConnectorFile }

// Close does nothing; File holds no resources. It exists so every
// connector is an io.Closer.
func (f *File) Close() error { return nil }

// Path returns where m would be written for to, or an error if m's id or
// to's directory cannot make a path.
func (f *File) Path(to Destination, m Message) (string, error) {
	dir := to.Dir
	if dir == "" {
		dir = f.opts.Dir
	}
	if dir == "" {
		return "", Permanent(fmt.Errorf("%w: file destination has no directory", ErrBadDestination))
	}
	if err := checkID(m.ID); err != nil {
		return "", err
	}
	// The id becomes a file name: refuse rather than rewrite anything
	// that could step out of the directory or collide after rewriting.
	if strings.ContainsAny(m.ID, `/\:*?"<>|`) || strings.HasPrefix(m.ID, ".") {
		return "", Permanent(fmt.Errorf("%w: message id is not usable as a file name", ErrBadMessage))
	}
	return filepath.Join(dir, sanitiseKind(m.Kind), m.ID+f.extension(m.ContentType)), nil
}

// Deliver writes m.Body. Attachments are refused; deliver each as its own
// message.
func (f *File) Deliver(ctx context.Context, to Destination, m Message) (Receipt, error) {
	start := time.Now()
	r := Receipt{Connector: ConnectorFile, Destination: to.String(), MessageID: m.ID}
	err := f.deliver(ctx, to, m, &r)
	r.At, r.Latency = time.Now(), time.Since(start)
	logDelivery(ctx, f.opts.Logger, ConnectorFile, to, m, r, start, err)
	return r, err
}

func (f *File) deliver(ctx context.Context, to Destination, m Message, r *Receipt) error {
	if err := checkDestination(to, ConnectorFile); err != nil {
		return err
	}
	path, err := f.Path(to, m)
	if err != nil {
		return err
	}
	if len(m.Attachments) > 0 {
		return Permanent(fmt.Errorf("%w: file connector writes the body only; attachments refused", ErrBadMessage))
	}
	if err := ctx.Err(); err != nil {
		return ctxErr(ctx, "file")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, f.opts.DirMode); err != nil {
		return classifyFS("create directory", err)
	}
	if err := f.writeAtomic(ctx, dir, path, m.Body); err != nil {
		return err
	}
	r.Path = path
	return nil
}

func (f *File) writeAtomic(ctx context.Context, dir, path string, body []byte) (err error) {
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return classifyFS("create temporary file", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(body); err != nil {
		return classifyFS("write", err)
	}
	if err = tmp.Chmod(f.opts.FileMode); err != nil {
		return classifyFS("chmod", err)
	}
	if err = tmp.Sync(); err != nil {
		return classifyFS("fsync", err)
	}
	if err = tmp.Close(); err != nil {
		return classifyFS("close", err)
	}
	// Last point at which giving up leaves nothing behind.
	if ctx.Err() != nil {
		return ctxErr(ctx, "file")
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return classifyFS("rename", err)
	}
	// The rename is durable only once the directory entry is.
	if d, derr := os.Open(dir); derr == nil { //nolint:gosec // dir is the destination's drop directory, cleaned above
		serr := d.Sync()
		_ = d.Close()
		if serr != nil && !errors.Is(serr, syscall.EINVAL) { // some filesystems cannot fsync a directory
			return classifyFS("fsync directory", serr)
		}
	}
	return nil
}

// classifyFS says whether a filesystem error can pass. A path that is not
// a directory or is too long stays wrong until someone changes the
// configuration; a full disk, a read-only remount, a permission problem
// or a stale network mount are what operators fix while the retry ladder
// waits. The path itself is left out of the text: it holds the message id
// only, which the log line already has.
func classifyFS(op string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	e := fmt.Errorf("file: %s: %s: %w", op, err.Error(), ErrUnavailable)
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG) || errors.Is(err, syscall.EISDIR) {
		return Permanent(fmt.Errorf("file: %s: %s: %w", op, err.Error(), ErrRejected))
	}
	return e
}

// extension picks the file name extension for a content type.
func (f *File) extension(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ".bin"
	}
	if ext, ok := f.opts.Extensions[mt]; ok {
		return ext
	}
	if ext, ok := defaultExtensions[mt]; ok {
		return ext
	}
	return ".bin"
}

// sanitiseKind turns a message kind into a directory name: lower-case
// letters, digits, '-' and '_' only, anything else becoming '-'. An empty
// result is "other".
func sanitiseKind(kind string) string {
	b := []byte(strings.ToLower(kind))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	s := strings.Trim(string(b), "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return "other"
	}
	return s
}
