#include "helpdialogs.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace attnviz {

ShortcutsDialog::ShortcutsDialog(const QList<ShortcutEntry> &entries, QWidget *parent)
    : QDialog(parent)
    , m_entries(entries)
    , m_filter(new QLineEdit(this))
    , m_list(new QTreeWidget(this))
{
    setWindowTitle(tr("Keyboard shortcuts"));
    setObjectName(QStringLiteral("shortcutsDialog"));
    auto *layout = new QVBoxLayout(this);
    m_filter->setObjectName(QStringLiteral("shortcutFilter"));
    m_filter->setPlaceholderText(tr("Search: a key or a word of the action (e.g. “ctrl+e”, “zoom”)"));
    m_filter->setClearButtonEnabled(true);
    layout->addWidget(m_filter);
    m_list->setObjectName(QStringLiteral("shortcutList"));
    m_list->setColumnCount(3);
    m_list->setHeaderLabels({tr("Keys"), tr("Action"), tr("Menu")});
    m_list->setRootIsDecorated(false);
    m_list->setAlternatingRowColors(true);
    for (const ShortcutEntry &entry : m_entries)
        new QTreeWidgetItem(m_list, {entry.keys, entry.action, entry.menu});
    for (int column = 0; column < 3; ++column)
        m_list->resizeColumnToContents(column);
    layout->addWidget(m_list, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_filter, &QLineEdit::textChanged, this, &ShortcutsDialog::applyFilter);
    resize(640, 520);
}

void ShortcutsDialog::applyFilter(const QString &filter)
{
    for (int row = 0; row < m_list->topLevelItemCount(); ++row)
        m_list->topLevelItem(row)->setHidden(!matchesFilter(m_entries[row], filter));
}

QStringList ShortcutsDialog::visibleActions() const
{
    QStringList actions;
    for (int row = 0; row < m_list->topLevelItemCount(); ++row) {
        if (!m_list->topLevelItem(row)->isHidden())
            actions << m_list->topLevelItem(row)->text(1);
    }
    return actions;
}

DocumentationWindow::DocumentationWindow(const QString &path, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("attnviz documentation"));
    setObjectName(QStringLiteral("documentationWindow"));
    auto *layout = new QVBoxLayout(this);
    auto *browser = new QTextBrowser(this);
    browser->setObjectName(QStringLiteral("documentation"));
    browser->setOpenExternalLinks(true);
    browser->setSource(QUrl::fromLocalFile(path), QTextDocument::MarkdownResource);
    layout->addWidget(browser);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *back = buttons->addButton(tr("&Back"), QDialogButtonBox::ActionRole);
    back->setEnabled(false);
    connect(back, &QPushButton::clicked, browser, &QTextBrowser::backward);
    connect(browser, &QTextBrowser::backwardAvailable, back, &QPushButton::setEnabled);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(820, 680);
}

} // namespace attnviz
