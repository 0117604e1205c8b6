// Package assemblyarg reads the command line the app's commands share: flags
// before or after one cloud assembly directory, cdk.out by default.
package assemblyarg

import (
	"errors"
	"flag"
	"fmt"
)

// Parse parses args with fs, flags anywhere around the directory. done is
// true when the command should exit without running: help after -h (exit
// 0), otherwise a usage error, which fs or Parse has already printed to
// fs.Output(), named after fs.
func Parse(fs *flag.FlagSet, args []string) (dir string, done, help bool) {
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", true, errors.Is(err, flag.ErrHelp)
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		dirs, args = append(dirs, args[0]), args[1:]
	}
	switch len(dirs) {
	case 0:
		return "cdk.out", false, false
	case 1:
		return dirs[0], false, false
	}
	fmt.Fprintf(fs.Output(), "%s: too many arguments %q: name one cloud assembly directory\n", fs.Name(), dirs)
	return "", true, false
}
