"""Writers: everything that touches files. The core never imports from here."""
