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

Everything else is localstripe's own. Run:
  .venv-test/bin/python tests-fixtures/stripe_shim.py --port N
It listens on 127.0.0.1 only and keeps nothing on disk.
"""

import argparse
import logging
import socket
import time

from aiohttp import web

from localstripe import server
from localstripe.resources import (Customer, Event, PaymentMethod,
                                   Subscription, random_id, store)
from localstripe.server import get_post_data

_sessions = {}
_port = 0


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


async def complete_checkout(request):
    sid = request.match_info['id']
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
    return web.json_response(event._export())


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
    global _port
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    args = parser.parse_args()
    _port = args.port
    app = server.app
    app.router.add_post('/v1/checkout/sessions', create_checkout_session)
    app.router.add_post('/v1/billing_portal/sessions', create_portal_session)
    app.router.add_post('/_config/checkout/{id}/complete', complete_checkout)
    # Nothing is kept between runs.
    store.dump_to_disk = lambda *a, **k: None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    logging.basicConfig(level=logging.WARNING)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == '__main__':
    main()
