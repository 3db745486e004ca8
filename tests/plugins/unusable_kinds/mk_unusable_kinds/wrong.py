"""Entry points naming the wrong kind of object, a built-in kind's name, and a name another
package's kind has (mediakeeper-example-kind's sizes, which comes first: by name, then package)."""

from mediakeeper.core.kind_record import Kind

NOT_A_KIND = {"name": "not-a-kind"}
MUSIC = Kind(name="music", noun="song", label="Song", report_template="")
SIZES = Kind(name="sizes", noun="box", label="Box", report_template="")
