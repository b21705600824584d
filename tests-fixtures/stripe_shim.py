"""localstripe plus the two Stripe endpoints it lacks, for Broadsheet's tests.

localstripe (PyPI) fakes Stripe's customers, plans, payment methods,
subscriptions, invoices, charges and refunds, but has no Checkout Sessions
and no billing portal. This shim imports localstripe's aiohttp app and adds:

  POST /v1/checkout/sessions            a session (mode=subscription) with a url
  POST /v1/billing_portal/sessions      a portal session with a url
  POST /_config/checkout/{id}/complete  the test "pays": makes the customer
      (with a test card as default payment method) and the subscription inside
      localstripe, and answers with the checkout.session.completed event the
      real Stripe would send (the test signs and posts it)
  GET  /checkout/{id}                   the hosted checkout page a browser is
      sent to (the session's url): one "Pay" button
  POST /checkout/{id}                   that button: completes the session as
      above, signs the event with --webhook-secret and posts it to
      --webhook-url (as Stripe would), then sends the browser to the
      session's success_url (the browser check, browser/check.mjs)

Everything else is localstripe's own. Run:
  .venv-test/bin/python tests-fixtures/stripe_shim.py --port N \
      [--webhook-url URL --webhook-secret SECRET]
It listens on 127.0.0.1 only and keeps nothing on disk.
"""

import argparse
import hashlib
import hmac
import html
import json
import logging
import socket
import time

from aiohttp import ClientSession, web

from localstripe import server
from localstripe.resources import (Customer, Event, PaymentMethod,
                                   Subscription, random_id, store)
from localstripe.server import get_post_data

_sessions = {}
_port = 0
_webhook_url = None
_webhook_secret = None


class _Obj:
    """Just enough of a StripeObject for Event (which calls _export)."""

    def __init__(self, d):
        self._d = d

    def _export(self, expand=None):
        return dict(self._d)


async def create_checkout_session(request):
    data = await get_post_data(request) or {}
    if data.get('mode') != 'subscription':
        raise web.HTTPBadRequest(text='only mode=subscription is shimmed')
    items = data.get('line_items') or []
    if not items or not items[0].get('price'):
        raise web.HTTPBadRequest(text='line_items[0][price] is required')
    sid = 'cs_test_' + random_id(24)
    session = {
        'id': sid,
        'object': 'checkout.session',
        'mode': 'subscription',
        'status': 'open',
        'payment_status': 'unpaid',
        'url': 'http://127.0.0.1:%d/checkout/%s' % (_port, sid),
        'success_url': data.get('success_url'),
        'cancel_url': data.get('cancel_url'),
        'client_reference_id': data.get('client_reference_id'),
        'customer_email': data.get('customer_email'),
        'metadata': data.get('metadata') or {},
        'customer': None,
        'subscription': None,
        'created': int(time.time()),
        '_price': items[0]['price'],
        '_subscription_data': data.get('subscription_data') or {},
    }
    _sessions[sid] = session
    return web.json_response(
        {k: v for k, v in session.items() if not k.startswith('_')})


def _complete(sid):
    """Pays session `sid`: the checkout.session.completed event (a dict)."""
    s = _sessions.get(sid)
    if s is None:
        raise web.HTTPNotFound(text='no such checkout session')
    if s['status'] != 'open':
        raise web.HTTPConflict(text='checkout session already completed')
    pm = PaymentMethod._api_create(
        type='card',
        card={'number': '4242424242424242', 'exp_month': '12',
              'exp_year': '2034', 'cvc': '123'})
    cus = Customer._api_create(
        email=s['customer_email'], payment_method=pm.id,
        invoice_settings={'default_payment_method': pm.id})
    sub_data = s['_subscription_data']
    kwargs = {}
    if sub_data.get('trial_period_days'):
        kwargs['trial_period_days'] = sub_data['trial_period_days']
    sub = Subscription._api_create(
        customer=cus.id, items=[{'plan': s['_price']}],
        metadata=sub_data.get('metadata') or {}, **kwargs)
    s.update(status='complete', payment_status='paid', customer=cus.id,
             subscription=sub.id)
    public = {k: v for k, v in s.items() if not k.startswith('_')}
    event = Event('checkout.session.completed', _Obj(public))
    return event._export()


async def complete_checkout(request):
    return web.json_response(_complete(request.match_info['id']))


_PAGE = '''<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout (test)</title></head>
<body><main><h1>Pay for your subscription (test)</h1>
<p>Test card 4242 4242 4242 4242.</p>
<form method="post" action="/checkout/%s"><button type="submit">Pay</button></form>
</main></body></html>
'''


@web.middleware
async def browser_pages(request, handler):
    """The hosted checkout page is for a browser, which holds no API key:
    answered before localstripe's key check."""
    if request.path.startswith('/checkout/'):
        return await request.match_info.handler(request)
    return await handler(request)


async def checkout_page(request):
    sid = request.match_info['id']
    if sid not in _sessions:
        raise web.HTTPNotFound(text='no such checkout session')
    return web.Response(text=_PAGE % html.escape(sid), content_type='text/html')


async def pay(request):
    """The browser pays: the signed event goes to the webhook (Stripe's
    Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")), then the browser
    goes to success_url."""
    sid = request.match_info['id']
    event = _complete(sid)
    if _webhook_url:
        body = json.dumps(event).encode()
        t = int(time.time())
        mac = hmac.new(_webhook_secret.encode(), b'%d.' % t + body,
                       hashlib.sha256).hexdigest()
        async with ClientSession() as http:
            async with http.post(_webhook_url, data=body, headers={
                    'Content-Type': 'application/json',
                    'Stripe-Signature': 't=%d,v1=%s' % (t, mac)}) as res:
                if res.status != 200:
                    raise web.HTTPBadGateway(
                        text='the webhook answered %d: %s'
                        % (res.status, await res.text()))
    raise web.HTTPSeeOther(_sessions[sid]['success_url'])


async def create_portal_session(request):
    data = await get_post_data(request) or {}
    customer = data.get('customer')
    if not customer or ('customer:' + customer) not in store:
        raise web.HTTPBadRequest(text='unknown customer')
    return web.json_response({
        'id': 'bps_' + random_id(24),
        'object': 'billing_portal.session',
        'customer': customer,
        'return_url': data.get('return_url'),
        'url': 'http://127.0.0.1:%d/portal/%s' % (_port, customer),
    })


def main():
    global _port, _webhook_url, _webhook_secret
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--webhook-url')
    parser.add_argument('--webhook-secret')
    args = parser.parse_args()
    _port = args.port
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error('--webhook-url and --webhook-secret go together')
    _webhook_url, _webhook_secret = args.webhook_url, args.webhook_secret
    app = server.app
    app.router.add_post('/v1/checkout/sessions', create_checkout_session)
    app.router.add_post('/v1/billing_portal/sessions', create_portal_session)
    app.router.add_post('/_config/checkout/{id}/complete', complete_checkout)
    app.router.add_get('/checkout/{id}', checkout_page)
    app.router.add_post('/checkout/{id}', pay)
    app.middlewares.insert(0, browser_pages)
    # Nothing is kept between runs.
    store.dump_to_disk = lambda *a, **k: None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    logging.basicConfig(level=logging.WARNING)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == '__main__':
    main()
