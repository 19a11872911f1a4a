"""gunicorn settings, read from the working directory: `gunicorn kpu.wsgi --workers 4 ...`.

The access log (off unless --access-logfile is given) leaves out the query string and the
Referer: a URL's query may carry what a user typed (a search), and no NIK or NKK may reach a
log line (SPEC 10). The path, method, status, size, time and user agent are kept.
"""

access_log_format = '%(h)s %(l)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
