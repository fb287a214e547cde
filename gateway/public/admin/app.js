// Admin analytics dashboard: signs in through the graph, then asks it for the sales chart,
// the range's statistics, top products and top customers. No build step, no framework.
(function () {
  'use strict';

  const TOKEN_KEY = 'commerce.admin.accessToken';
  const $ = (id) => document.getElementById(id);
  const charts = {};

  const LOGIN = `mutation AdminLogin($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken accessTokenExpiresAt }
  }`;
  const ME = `query AdminMe { me { id name email role } }`;
  const CHART = `query AdminSalesChart($period: SalesPeriod, $from: String, $to: String, $granularity: Granularity, $currency: String) {
    salesChart(period: $period, from: $from, to: $to, granularity: $granularity, currency: $currency) {
      from to granularity currency
      points { period total successful failed revenueCents refundsCents }
    }
  }`;
  const STATS = `query AdminOrderStatistics($from: String!, $to: String!, $currency: String) {
    orderStatistics(from: $from, to: $to, currency: $currency) {
      totalOrders successfulOrders totalRevenueCents refundsCents averageOrderValueCents successRate
      topProducts(limit: 5) { product { id name } unitsSold revenueCents }
    }
    topCustomers(limit: 5, currency: $currency) { customer { id name email } orderCount lifetimeValueCents }
  }`;

  async function graphql(query, variables) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}` }] }));
    if (body.errors && body.errors.length && !body.data) {
      const err = new Error(body.errors[0].message);
      err.code = body.errors[0].extensions && body.errors[0].extensions.code;
      throw err;
    }
    return body;
  }

  // Money totals arrive as BigInt: strings of digits in minor units ("3000000000"), exact beyond
  // 2^53. They are turned into decimal strings ("30000000.00"), which Intl formats exactly.
  function decimalOf(minorUnits, fractionDigits) {
    const text = String(minorUnits);
    const negative = text.startsWith('-');
    const digits = (negative ? text.slice(1) : text).padStart(fractionDigits + 1, '0');
    const decimal = fractionDigits ? `${digits.slice(0, -fractionDigits)}.${digits.slice(-fractionDigits)}` : digits;
    return negative ? `-${decimal}` : decimal;
  }

  function fractionDigitsOf(currency) {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  }

  function money(minorUnits, currency) {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(decimalOf(minorUnits, fractionDigitsOf(currency)));
  }

  /** A chart's value in major units (a float is fine for drawing bars). */
  function majorUnits(minorUnits, currency) {
    return Number(decimalOf(minorUnits, fractionDigitsOf(currency)));
  }

  function setKpi(id, value, text) {
    const el = $(id);
    el.dataset.value = String(value);
    el.textContent = text;
  }

  function drawChart(id, type, labels, datasets, yTitle) {
    if (charts[id]) {
      charts[id].data.labels = labels;
      charts[id].data.datasets = datasets;
      charts[id].update();
      return;
    }
    charts[id] = new window.Chart($(id), {
      type,
      data: { labels, datasets },
      options: { animation: false, responsive: true, interaction: { mode: 'index', intersect: false }, scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } } },
    });
  }

  function fillTable(id, rows) {
    const body = $(id).querySelector('tbody');
    body.replaceChildren(
      ...rows.map((cells) => {
        const tr = document.createElement('tr');
        for (const [text, cls] of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          if (cls) td.className = cls;
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  function chartVariables() {
    const period = $('period').value;
    const currency = ($('currency').value || 'USD').toUpperCase();
    const base = { granularity: $('granularity').value, currency };
    if (period !== 'CUSTOM') return { ...base, period };
    if (!$('from').value || !$('to').value) throw new Error('Choose both dates for a custom range');
    return { ...base, from: $('from').value, to: $('to').value };
  }

  async function refresh() {
    $('error').textContent = '';
    $('status').textContent = 'Loading…';
    document.body.dataset.state = 'loading';
    try {
      const vars = chartVariables();
      const chart = (await graphql(CHART, vars)).data.salesChart;
      const currency = chart.currency;
      const labels = chart.points.map((p) => p.period);
      drawChart('revenue-chart', 'bar', labels, [
        { label: `Revenue (${currency})`, data: chart.points.map((p) => majorUnits(p.revenueCents, currency)), backgroundColor: '#3867d6' },
        { label: `Refunds (${currency})`, data: chart.points.map((p) => majorUnits(p.refundsCents, currency)), backgroundColor: '#e58e26' },
      ], currency);
      drawChart('orders-chart', 'line', labels, [
        { label: 'Orders', data: chart.points.map((p) => p.total), borderColor: '#1d2330', tension: 0 },
        { label: 'Successful', data: chart.points.map((p) => p.successful), borderColor: '#20bf6b', tension: 0 },
        { label: 'Failed', data: chart.points.map((p) => p.failed), borderColor: '#c0392b', tension: 0 },
      ], 'orders');
      $('range').textContent = `Showing ${chart.from.slice(0, 10)} to ${chart.to.slice(0, 10)} (end exclusive).`;

      const statsResult = await graphql(STATS, { from: chart.from, to: chart.to, currency });
      const stats = statsResult.data.orderStatistics;
      setKpi('kpi-orders', stats.totalOrders, `${stats.totalOrders} (${stats.successfulOrders} paid)`);
      setKpi('kpi-revenue', stats.totalRevenueCents, money(stats.totalRevenueCents, currency));
      setKpi('kpi-refunds', stats.refundsCents, money(stats.refundsCents, currency));
      setKpi('kpi-success', stats.successRate, `${(stats.successRate * 100).toFixed(1)} %`);
      setKpi('kpi-aov', stats.averageOrderValueCents, money(stats.averageOrderValueCents, currency));
      fillTable('top-products', stats.topProducts.map((p) => [[p.product.name || p.product.id], [String(p.unitsSold), 'num'], [money(p.revenueCents, currency), 'num']]));
      fillTable('top-customers', (statsResult.data.topCustomers || []).map((c) => [[c.customer.name || c.customer.email || c.customer.id], [String(c.orderCount), 'num'], [money(c.lifetimeValueCents, currency), 'num']]));
      if (statsResult.errors) $('error').textContent = `Some details could not be loaded: ${statsResult.errors[0].message}`;
      $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
      document.body.dataset.state = 'ready';
      document.body.dataset.period = vars.period || 'CUSTOM';
    } catch (err) {
      if (err.code === 'UNAUTHENTICATED') return signOut('Your session ended: please sign in again.');
      $('error').textContent = err.code === 'FORBIDDEN' ? 'This account is not an admin.' : err.message;
      $('status').textContent = '';
      document.body.dataset.state = 'error';
    }
  }

  function show(signedIn) {
    $('sign-in').hidden = signedIn;
    $('dashboard').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('who').textContent = '';
    show(false);
    $('sign-in-error').textContent = message || '';
    document.body.dataset.state = 'signed-out';
  }

  async function enter() {
    const me = (await graphql(ME, {})).data.me;
    if (!me || me.role !== 'ADMIN') return signOut('This account is not an admin.');
    $('who').textContent = `${me.name} <${me.email}>`;
    show(true);
    await refresh();
  }

  $('sign-in-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('sign-in-error').textContent = '';
    try {
      const { data } = await graphql(LOGIN, { email: $('email').value, password: $('password').value });
      sessionStorage.setItem(TOKEN_KEY, data.login.accessToken);
      await enter();
    } catch (err) {
      $('sign-in-error').textContent = err.message;
    }
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', refresh);
  for (const id of ['period', 'granularity']) $(id).addEventListener('change', refresh);
  $('currency').addEventListener('change', refresh);
  for (const id of ['from', 'to']) $(id).addEventListener('change', () => { if ($('period').value === 'CUSTOM') refresh(); });

  window.adminDashboard = { charts, refresh };
  if (sessionStorage.getItem(TOKEN_KEY)) enter().catch(() => signOut());
  else signOut();
})();
