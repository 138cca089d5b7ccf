import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router.js';
import { startClock } from './lib/clock.js';
import './styles/bulma.scss';
import './styles/app.scss';

startClock();
createApp(App).use(router).mount('#app');
