import { createRouter, createWebHistory } from 'vue-router';
import HomeView from './views/HomeView.vue';
import ScheduleView from './views/ScheduleView.vue';

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/', name: 'home', component: HomeView, meta: { title: 'Next to jump' } },
    { path: '/racing', name: 'schedule', component: ScheduleView, meta: { title: 'Racing schedule' } },
    {
      path: '/racing/:meeting/:race_id(\\d+)',
      name: 'racecard',
      component: () => import('./views/RaceCardView.vue'),
      meta: { title: 'Race card' },
    },
    { path: '/oddsmatcher', name: 'oddsmatcher', component: () => import('./views/OddsMatcherView.vue'), meta: { title: 'Odds matcher' } },
    { path: '/calc', name: 'calc', component: () => import('./views/CalcView.vue'), meta: { title: 'Calculators' } },
    { path: '/racing/:race_id(\\d+)', redirect: (to) => ({ name: 'racecard', params: { meeting: 'race', race_id: to.params.race_id } }) },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'Page not found' } },
  ],
  scrollBehavior(to, from, saved) {
    if (saved) return saved;
    if (to.name === from.name && to.path === from.path) return false; // query change (tabs, filter)
    return { top: 0 };
  },
});

router.afterEach((to) => {
  document.title = `${to.meta.title || 'Racing'} | Oddzy`;
});
