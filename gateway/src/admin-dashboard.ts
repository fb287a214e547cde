import path from 'node:path';
import type { Express } from 'express';
import { express } from '../../subgraphs/lib/http';

/**
 * The admin analytics dashboard: a static page (gateway/public/admin, no build step) that signs in
 * through the graph and draws its charts with chart.js, served from our own node_modules (no CDN).
 */
export const ADMIN_DASHBOARD_DIR = path.resolve(__dirname, '../public/admin');
// Found through Node's resolution (chart.js exports no path to its UMD file), so the compiled copy in dist/ finds it too.
export const CHART_JS_FILE = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');

export function mountAdminDashboard(app: Express): void {
  const headers = (res: express.Response) => {
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
  };
  app.get('/admin/vendor/chart.umd.js', (_req, res) => {
    headers(res);
    res.sendFile(CHART_JS_FILE, { maxAge: '1d' });
  });
  app.use('/admin', express.static(ADMIN_DASHBOARD_DIR, { index: 'index.html', setHeaders: headers, redirect: true }));
}
