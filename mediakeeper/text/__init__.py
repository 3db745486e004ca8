"""Words and names: folding, widths, cuts, wording, slugs, matching, templates."""
