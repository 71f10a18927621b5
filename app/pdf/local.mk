### app/pdf: PDF rendering of billing documents (cairo + pango)
